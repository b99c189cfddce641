"""Train a small CNN twice, with torch.nn layers and with kernels.torch.nn layers.

The data set is made here: 16x16 grey images of squares, circles and crosses at random
positions and sizes, with noise.  Both networks start from the same weights (our network
loads the torch network's state dict), see the same batches in the same order, and print
their loss per epoch and the time per epoch.

    PYTHONPATH=. python examples/train_small_cnn.py                  # algo=auto, 5 epochs
    PYTHONPATH=. python examples/train_small_cnn.py --algo numba --epochs 5 --dtype float64

``--algo`` is the algorithm of the convolutions; the other layers use it where their op has
it and ``auto`` otherwise.  A layer whose op is not in ``kernels`` (in a partial checkout)
runs as torch's layer, and the script says so.
"""
import argparse
import time
from collections import OrderedDict

import numpy as np
import torch

import kernels
from kernels.torch import nn as knn

CLASSES = ("square", "circle", "cross")


def shapes_dataset(n: int, size: int = 16, seed: int = 0):
    """n images (n, 1, size, size) of the three shapes, and their labels."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    images = np.empty((n, 1, size, size))
    labels = rng.integers(0, len(CLASSES), n)
    for i, label in enumerate(labels):
        r = rng.uniform(2.5, size / 3)
        cy, cx = rng.uniform(r, size - r, 2)
        dy, dx = yy - cy, xx - cx
        if CLASSES[label] == "square":
            img = (np.abs(dy) <= r) & (np.abs(dx) <= r)
        elif CLASSES[label] == "circle":
            img = dy ** 2 + dx ** 2 <= r ** 2
        else:
            img = ((np.abs(dy) <= r / 4) & (np.abs(dx) <= r)) | ((np.abs(dx) <= r / 4) & (np.abs(dy) <= r))
        images[i, 0] = img + 0.3 * rng.standard_normal((size, size))
    images = (images - images.mean()) / images.std()
    return torch.tensor(images), torch.tensor(labels)


def layer(ours: bool, name: str, op_name: str, algo: str, *args, **kwargs):
    """kernels.torch.nn.<name> when ``ours`` and its op exists, else torch.nn.<name>."""
    if not ours:
        return getattr(torch.nn, name)(*args, **kwargs)
    if op_name not in kernels.OPS:
        print(f"  note: op {op_name} is not in kernels here; {name} runs as torch's layer")
        return getattr(torch.nn, name)(*args, **kwargs)
    op_algo = algo if algo in kernels.OPS[op_name].algos() else "auto"
    return getattr(knn, name)(*args, algo=op_algo, **kwargs)


def separable(ours: bool, algo: str, c_in: int, c_out: int):
    if ours and "separable_conv2d" in kernels.OPS:
        op_algo = algo if algo in kernels.OPS["separable_conv2d"].algos() else "auto"
        return knn.DepthwiseSeparableConv2d(c_in, c_out, 3, padding=1, algo=op_algo)
    if ours:
        print("  note: op separable_conv2d is not in kernels here; the block runs as two Conv2d")
    return torch.nn.Sequential(OrderedDict(  # the same state-dict keys as ours
        depthwise=layer(ours, "Conv2d", "conv2d", algo, c_in, c_in, 3, padding=1, groups=c_in, bias=False),
        pointwise=layer(ours, "Conv2d", "conv2d", algo, c_in, c_out, 1)))


def small_cnn(ours: bool, algo: str = "auto"):
    """conv - batch norm - relu - max pool - depthwise-separable - batch norm - relu - pool - linear."""
    return torch.nn.Sequential(
        layer(ours, "Conv2d", "conv2d", algo, 1, 8, 3, padding=1, bias=False),
        layer(ours, "BatchNorm2d", "batch_norm", algo, 8),
        layer(ours, "ReLU", "relu", algo),
        layer(ours, "MaxPool2d", "max_pool2d", algo, 2),
        separable(ours, algo, 8, 16),
        layer(ours, "BatchNorm2d", "batch_norm", algo, 16),
        layer(ours, "ReLU", "relu", algo),
        layer(ours, "MaxPool2d", "max_pool2d", algo, 2),
        torch.nn.Flatten(),
        torch.nn.Linear(16 * 4 * 4, len(CLASSES)))


def train(net, x, y, epochs: int, batch_size: int, lr: float, seed: int):
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    order = torch.Generator().manual_seed(seed)
    losses, times = [], []
    for _ in range(epochs):
        net.train()
        perm = torch.randperm(len(x), generator=order)
        total, t0 = 0.0, time.perf_counter()
        for i in range(0, len(x), batch_size):
            idx = perm[i:i + batch_size]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        times.append(time.perf_counter() - t0)
        losses.append(total / len(x))
    return losses, times


def accuracy(net, x, y) -> float:
    net.eval()
    with torch.no_grad():
        return (net(x).argmax(1) == y).double().mean().item()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--algo", default="auto", help="convolution algorithm: auto, naive, im2col, "
                                                  "numba, ... (default auto)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--n-train", type=int, default=2048)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.03)
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1,
                    help="threads for torch and Numba (default 1: these tiny layers gain nothing "
                         "from more, and on a busy machine more is much slower; 0: the libraries' "
                         "own defaults)")
    args = ap.parse_args(argv)
    if args.threads:
        import numba
        torch.set_num_threads(args.threads)
        numba.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)

    x, y = shapes_dataset(args.n_train, seed=args.seed)
    x_test, y_test = shapes_dataset(256, seed=args.seed + 1)
    x, x_test = x.to(dtype), x_test.to(dtype)
    torch.manual_seed(args.seed)
    theirs = small_cnn(False).to(dtype)
    ours = small_cnn(True, args.algo).to(dtype)
    ours.load_state_dict(theirs.state_dict())  # the same starting point

    results = {}
    for name, net in (("torch.nn", theirs), (f"kernels ({args.algo})", ours)):
        losses, times = train(net, x, y, args.epochs, args.batch_size, args.lr, args.seed)
        results[name] = (losses, times, accuracy(net, x_test, y_test))

    print(f"\n{args.n_train} images 16x16, {args.epochs} epochs, batch {args.batch_size}, {args.dtype}")
    print(f"{'epoch':>5}  " + "  ".join(f"{n + ' loss':>22} {'s/epoch':>8}" for n in results))
    for e in range(args.epochs):
        print(f"{e + 1:>5}  " + "  ".join(f"{r[0][e]:>22.6f} {r[1][e]:>8.2f}" for r in results.values()))
    for n, r in results.items():
        print(f"{n}: test accuracy {r[2]:.3f}, mean time per epoch {np.mean(r[1]):.2f} s")
    print("(the first epoch of kernels includes JIT compilation and auto's timing)")
    return results


if __name__ == "__main__":
    main()
