"""Where the arrays of a timed call live, and how the clock waits for the work.

A host algorithm is timed on NumPy arrays, torch on CPU tensors.  An algorithm that takes
device arrays (``Algorithm.device``: ``cuda``) gets its inputs copied to the GPU once,
before its first call, so no copy is timed; its results stay there until they are checked.
Kernel launches return before the work is done, so every timed call ends with
``numba.cuda.synchronize()`` (the ``sync`` hook of ``timing.measure``).  Beside it torch
runs on CUDA tensors, synchronised with ``torch.cuda.synchronize()``, when torch sees a GPU;
cuDNN then picks its fastest algorithm per shape (``cudnn.benchmark``) and TF32 is off, so
float32 is compared with float32.  Under Numba's CUDA simulator (no GPU) the device path
runs the same way and torch stays on the CPU.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Place:
    name: str                          # "cpu" or "cuda"
    put: Callable                      # host array -> what the algorithm is given
    sync: Callable | None              # waits for the algorithm's work
    torch_device: str                  # where torch's side runs: "cpu" or "cuda"
    torch_sync: Callable | None        # waits for torch's work

    def put_all(self, arrays) -> list:
        return [None if a is None else self.put(a) for a in arrays]


HOST = Place("cpu", lambda a: a, None, "cpu", None)


def for_algorithm(algorithm) -> Place:
    """The host, or the GPU for an algorithm that takes device arrays."""
    return cuda_place() if algorithm.device else HOST


@functools.cache
def cuda_place() -> Place:
    from numba import cuda
    torch_gpu = torch_has_gpu()
    if torch_gpu:
        import torch
        torch.backends.cudnn.allow_tf32 = False        # FP32 against FP32
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.benchmark = True          # cuDNN's best algorithm per shape
    return Place("cuda", lambda a: cuda.to_device(np.ascontiguousarray(a)), cuda.synchronize,
                 "cuda" if torch_gpu else "cpu", _torch_sync if torch_gpu else None)


def torch_has_gpu() -> bool:
    import torch
    return bool(torch.cuda.is_available())


def _torch_sync():
    import torch
    torch.cuda.synchronize()


def to_host(out):
    """NumPy copies of an algorithm's outputs (device arrays, tuples of them, or arrays)."""
    if out is None:
        return None
    if isinstance(out, (tuple, list)):
        return type(out)(to_host(o) for o in out)
    if hasattr(out, "copy_to_host"):
        return out.copy_to_host()
    if hasattr(out, "detach"):          # a torch tensor
        return out.detach().cpu().numpy()
    return np.asarray(out)
