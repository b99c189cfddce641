"""Compile every CUDA kernel to PTX for a real GPU, with no GPU present.

The simulator runs kernels as Python and so cannot catch what only Numba's CUDA compiler
rejects (typing, shared-array shapes that are not constants, ...).  This script, run by
tests/test_cuda.py in a subprocess with the simulator off, types and compiles each kernel
with the argument types its launch uses, for float32 and float64.  It needs NVVM (a CUDA
toolkit) but no driver; without NVVM it exits with status 77 (the test then skips).
A new cuda kernel module adds its kernels' signatures to SIGNATURES.
"""
import sys

import numpy as np
from numba import cuda, types

CC = (8, 0)
i64, b1 = types.int64, types.boolean
t3 = types.UniTuple(i64, 3)


def arr(dt, nd):
    return types.Array(dt, nd, "C")


def conv(dt):
    from kernels.conv import cuda as m
    dtype = np.dtype(str(dt))
    return [
        (m.direct_forward_kernel(dtype), (arr(dt, 5), arr(dt, 5), arr(dt, 1), arr(dt, 5),
                                          t3, t3, t3, i64, b1, i64, i64, i64, i64)),
        (m.grad_input_kernel(dtype), (arr(dt, 5), arr(dt, 5), arr(dt, 1), arr(dt, 5),
                                      t3, t3, t3, i64, b1)),
        (m.grad_weight_partial_kernel(dtype), (arr(dt, 5), arr(dt, 5), arr(dt, 2),
                                               types.UniTuple(i64, 5), t3, t3, t3, i64, i64)),
    ]


def pool(dt):
    from kernels.pool import cuda as m
    dtype = np.dtype(str(dt))
    a5, idx5 = arr(dt, 5), arr(i64, 5)
    return [
        (m.max_forward_kernel(dtype), (a5, a5, idx5, t3, t3, t3, t3, b1)),
        (m.avg_forward_kernel(dtype), (a5, a5, t3, t3, t3, i64, i64)),
        (m.backward_kernel(dtype), (a5, idx5, a5, t3, t3, t3, t3, b1, i64, i64)),
    ]


def norm(dt):
    from kernels.norm import cuda as m
    dtype = np.dtype(str(dt))
    a1, a2, a4, f64 = arr(dt, 1), arr(dt, 2), arr(dt, 4), types.float64
    return [
        (m.forward_kernel(dtype), (a4, a1, a1, a1, a1, i64, f64, b1, b1, b1, b1, a2, a2, a4)),
        (m.update_running_kernel(dtype), (a1, a1, a2, a2, f64, i64)),
        (m.backward_kernel(dtype), (a4, a4, a1, a1, a1, i64, f64, b1, b1, a4, a2, a2)),
        (m.group_backward_kernel(dtype), (a4, a4, a1, i64, f64, b1, a4, a2, a2)),
    ]


def deform(dt):
    from kernels.deform import cuda as m
    dtype = np.dtype(str(dt))
    a3, a4, t6 = arr(dt, 3), arr(dt, 4), types.UniTuple(i64, 6)
    return [
        (m.columns_kernel(dtype), (a4, a4, a4, b1, a3, i64, i64, i64, t6, b1)),
        (m.grad_offset_mask_kernel(dtype), (a3, a4, a4, a4, b1, a4, a4, i64, i64, t6)),
    ]


def depthwise(dt):
    from kernels.depthwise import cuda as m
    t2 = types.UniTuple(i64, 2)
    return [(m.forward_kernel(np.dtype(str(dt))),
             (arr(dt, 4), arr(dt, 4), arr(dt, 1), arr(dt, 4), t2, t2, t2, b1,
              i64, i64, i64, i64))]


def common(dt):
    from kernels import _cuda
    dtype = np.dtype(str(dt))
    return [
        (_cuda.channel_partial_kernel(dtype), (arr(dt, 3), arr(dt, 2), i64)),
        (_cuda.rows_sum_kernel(dtype), (arr(dt, 2), arr(dt, 1))),
        (_cuda._fill, (arr(dt, 1), types.float64)),
        (_cuda._fill, (arr(dt, 1), i64)),
        (_cuda.gemm_kernel(dtype), (arr(dt, 1), arr(dt, 1), arr(dt, 1), arr(dt, 1), b1,
                                    i64, i64, i64, i64, i64, t3, t3, t3)),
    ]


SIGNATURES = [common, conv, pool, norm, deform, depthwise]  # transposed: the conv's kernels


def main():
    try:
        from numba.cuda.cudadrv import nvvm
        nvvm.NVVM()
    except Exception as e:  # no CUDA toolkit here
        print(f"no NVVM: {e}")
        sys.exit(77)
    # Device functions (cuda.jit(device=True)) are compiled for the current device's
    # compute capability, which needs a driver; here they target CC like the kernels.
    from types import SimpleNamespace

    from numba.cuda import dispatcher
    dispatcher.get_current_device = lambda: SimpleNamespace(compute_capability=CC)
    failed = 0
    for family in SIGNATURES:
        for dt in (types.float32, types.float64):
            for kernel, sig in family(dt):
                name = f"{family.__name__}.{kernel.py_func.__name__}[{dt}]"
                try:
                    ptx, _ = cuda.compile_ptx(kernel.py_func, sig, cc=CC)
                except Exception as e:
                    failed += 1
                    print(f"FAIL {name}: {type(e).__name__}: {e}")
                    continue
                spill = " (uses local memory)" if ".local" in ptx else ""
                print(f"ok   {name}: {len(ptx)} chars of PTX{spill}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
