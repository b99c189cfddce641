"""Convert a torchvision model to kernels, print the report, and train it for a few steps.

The model (random init, no download) is trained twice from the same weights on the same
batches: as torch built it, and converted by ``kernels.torch.nn.convert``.  The data are
the synthetic squares, circles and crosses of ``train_small_cnn.py``, drawn at the chosen
size and repeated over three channels.

    PYTHONPATH=. python examples/convert_torchvision.py                    # resnet18, auto
    PYTHONPATH=. python examples/convert_torchvision.py --model mobilenet_v2 --algo numba
    PYTHONPATH=. python examples/convert_torchvision.py --dtype float64 --steps 3 --size 32

Models with dropout (mobilenet_v2, vgg16_bn, efficientnet_b0) draw their masks from other
generators in kernels than in torch, so their two loss curves differ a little; the others
follow each other to rounding.  The first step of ours includes JIT compilation and
``auto``'s timing.
"""
import argparse
import copy
import time

import torch

from examples.train_small_cnn import CLASSES, shapes_dataset
from harness.networks.models import torchvision
from kernels.torch import nn as knn


def train(model, x, y, steps: int, batch: int, lr: float, seed: int):
    """Losses and seconds per step of ``steps`` SGD steps over the same batches."""
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    model.train()
    losses, times = [], []
    for s in range(steps):
        idx = order[(s * batch) % len(x):][:batch]
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
        losses.append(loss.item())
    return losses, times


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="resnet18", help="a torchvision.models builder (default resnet18)")
    ap.add_argument("--algo", default="auto", help="convert's algorithm for every layer (default auto)")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=64, help="image height and width (default 64)")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="threads for torch and Numba (0: defaults)")
    args = ap.parse_args(argv)
    if args.threads:
        import numba
        torch.set_num_threads(args.threads)
        numba.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)

    torch.manual_seed(args.seed)
    theirs = getattr(torchvision().models, args.model)(weights=None, num_classes=len(CLASSES)).to(dtype)
    ours = knn.convert(theirs, algo=args.algo)       # a converted copy; theirs stays torch's
    print(ours.kernels_report)

    x, y = shapes_dataset(max(64, args.batch * args.steps), size=args.size, seed=args.seed)
    x = x.to(dtype).expand(-1, 3, -1, -1).contiguous()
    results = {}
    for name, model in (("torch", theirs), (f"kernels ({args.algo})", ours)):
        torch.manual_seed(args.seed)   # the same dropout draws where torch's layers remain
        results[name] = train(copy.deepcopy(model) if name == "torch" else model, x, y,
                              args.steps, args.batch, args.lr, args.seed)

    print(f"\n{args.model}, {args.steps} steps of batch {args.batch}, {args.size}x{args.size}, {args.dtype}")
    print(f"{'step':>4}  " + "  ".join(f"{n + ' loss':>22} {'s/step':>8}" for n in results))
    for s in range(args.steps):
        print(f"{s + 1:>4}  " + "  ".join(f"{r[0][s]:>22.6f} {r[1][s]:>8.3f}" for r in results.values()))
    print("(the first step of kernels includes JIT compilation and auto's timing)")
    return results, ours.kernels_report


if __name__ == "__main__":
    main()
