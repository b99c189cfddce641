"""The speed targets of the issues, each on exactly the shape the issue names, so one run
measures them all beside torch: ``python run_bench.py --suite goals --out results/goals``.

- conv2d 3x3, 64 channels at 56x56, batch 4, and a 1x1 layer (256 -> 64 at 56x56): numba
  against torch; winograd_f4 against im2col on the 3x3 one.
- conv2d with a 21x21 kernel, 32 channels in and out, 64x64 input: fft against torch.
- depthwise_conv2d 3x3 on 96 channels at 56x56, batch 4 (stride 1 and 2), and the
  depthwise-separable layer (96 -> 96 at 56x56): numba against torch, fused against the
  two-step composition.
- max_pool2d 3x3 stride 2 on 64 channels at 112x112, batch 8; batch_norm on the same
  tensor, training and eval."""
from harness.suites import Entry, suite

X_BN = (8, 64, 112, 112)

suite("goals", __doc__, [
    Entry("conv2d", "3x3-64-56-b4", ((4, 64, 56, 56), (64, 64, 3, 3), None), dict(padding=1)),
    Entry("conv2d", "1x1-256-64-56-b4", ((4, 256, 56, 56), (64, 256, 1, 1), None)),
    Entry("conv2d", "21x21-32-64-b1", ((1, 32, 64, 64), (32, 32, 21, 21), None), dict(padding=10)),
    Entry("depthwise_conv2d", "dw96-56-s1-b4", ((4, 96, 56, 56), (96, 1, 3, 3), None), dict(padding=1)),
    Entry("depthwise_conv2d", "dw96-56-s2-b4", ((4, 96, 56, 56), (96, 1, 3, 3), None),
          dict(stride=2, padding=1)),
    Entry("separable_conv2d", "dw96-pw96-56-b4",
          ((4, 96, 56, 56), (96, 1, 3, 3), (96, 96, 1, 1), None), dict(padding=1)),
    Entry("max_pool2d", "3x3s2-64-112-b8", (X_BN,), dict(kernel_size=3, stride=2, padding=1)),
    Entry("batch_norm", "train-64-112-b8", (X_BN, (64,), (64,), (64,), (64,)), dict(training=True)),
    Entry("batch_norm", "eval-64-112-b8", (X_BN, (64,), (64,), (64,), (64,)), dict(training=False)),
])
