"""quick: one small case (or two) for every op of the contract's catalogue, plus small
versions of the kernel-size and input-size sweeps; runs in a few minutes on two cores
(timing budget: at least 5 calls and 0.05 s per function).
Ops not registered yet are skipped and listed as missing in the report."""
from harness.suites import BATCH as N
from harness.suites import Entry, suite
from harness.suites.sweeps import kernel_sweep, size_sweep

X1, X2, X3 = (N, 8, 32), (N, 8, 16, 16), (N, 4, 8, 8, 8)
ACT = (N, 16, 32, 32)

_CONV = [
    Entry("conv1d", "k5-pad2", (X1, (16, 8, 5), (16,)), dict(padding=2)),
    Entry("conv2d", "3x3-pad1", (X2, (16, 8, 3, 3), (16,)), dict(padding=1)),
    Entry("conv2d", "3x3-s2", ((N, 16, 16, 16), (32, 16, 3, 3), None), dict(stride=2, padding=1)),
    Entry("conv3d", "3x3x3-pad1", (X3, (8, 4, 3, 3, 3), (8,)), dict(padding=1)),
    Entry("conv_transpose1d", "k4-s2", ((N, 8, 16), (8, 4, 4), (4,)), dict(stride=2, padding=1)),
    Entry("conv_transpose2d", "k4-s2", ((N, 8, 8, 8), (8, 4, 4, 4), (4,)), dict(stride=2, padding=1)),
    Entry("conv_transpose3d", "k2-s2", ((N, 4, 4, 4, 4), (4, 2, 2, 2, 2), (2,)), dict(stride=2)),
    Entry("depthwise_conv2d", "3x3-pad1", (X2, (8, 1, 3, 3), (8,)), dict(padding=1)),
    Entry("pointwise_conv2d", "16-32", ((N, 16, 16, 16), (32, 16, 1, 1), (32,))),
    Entry("separable_conv2d", "3x3-8-16", (X2, (8, 1, 3, 3), (16, 8, 1, 1), (16,)), dict(padding=1)),
    Entry("spatially_separable_conv2d", "3x1-1x3", (X2, (16, 8, 3), (16, 8, 3), (16,)), dict(padding=1)),
    Entry("unshared_conv2d", "3x3", ((N, 4, 8, 8), (6, 6, 8, 4, 3, 3), (8, 6, 6))),
    Entry("deform_conv2d", "3x3-pad1", ((N, 4, 8, 8), (N, 18, 8, 8), (8, 4, 3, 3), (8,)), dict(padding=1)),
    Entry("coord_conv2d", "3x3-pad1", ((N, 4, 16, 16), (8, 6, 3, 3), (8,)), dict(padding=1)),
]

_POOL = [
    Entry("max_pool1d", "k2", (X1,), dict(kernel_size=2)),
    Entry("max_pool2d", "k2", (X2,), dict(kernel_size=2)),
    Entry("max_pool2d", "k3-s2-pad1", (X2,), dict(kernel_size=3, stride=2, padding=1)),
    Entry("max_pool3d", "k2", (X3,), dict(kernel_size=2)),
    Entry("avg_pool1d", "k2", (X1,), dict(kernel_size=2)),
    Entry("avg_pool2d", "k2", (X2,), dict(kernel_size=2)),
    Entry("avg_pool2d", "k3-s2-pad1", (X2,), dict(kernel_size=3, stride=2, padding=1)),
    Entry("avg_pool3d", "k2", (X3,), dict(kernel_size=2)),
    Entry("lp_pool1d", "p2-k2", (X1,), dict(norm_type=2, kernel_size=2)),
    Entry("lp_pool2d", "p2-k2", (X2,), dict(norm_type=2, kernel_size=2)),
    Entry("lp_pool3d", "p2-k2", (X3,), dict(norm_type=2, kernel_size=2)),
    Entry("sum_pool2d", "k2", (X2,), dict(kernel_size=2)),
    Entry("adaptive_avg_pool1d", "30-to-4", ((N, 8, 30),), dict(output_size=4)),
    Entry("adaptive_avg_pool2d", "15-to-4", ((N, 8, 15, 15),), dict(output_size=4)),
    Entry("adaptive_avg_pool3d", "7-to-3", ((N, 4, 7, 7, 7),), dict(output_size=3)),
    Entry("adaptive_max_pool1d", "30-to-4", ((N, 8, 30),), dict(output_size=4)),
    Entry("adaptive_max_pool2d", "15-to-4", ((N, 8, 15, 15),), dict(output_size=4)),
    Entry("adaptive_max_pool3d", "7-to-3", ((N, 4, 7, 7, 7),), dict(output_size=3)),
    Entry("global_avg_pool2d", "8x8", ((N, 16, 8, 8),)),
    Entry("spatial_pyramid_pool2d", "1-2-4", (X2,), dict(levels=(1, 2, 4), mode="max")),
    Entry("max_unpool1d", "k2", ((N, 8, 16), (N, 8, 16)), dict(kernel_size=2)),
    Entry("max_unpool2d", "k2", ((N, 8, 8, 8), (N, 8, 8, 8)), dict(kernel_size=2)),
    Entry("max_unpool3d", "k2", ((N, 4, 4, 4, 4), (N, 4, 4, 4, 4)), dict(kernel_size=2)),
    Entry("pixel_shuffle", "r2", ((N, 16, 8, 8),), dict(upscale_factor=2)),
    Entry("pixel_unshuffle", "r2", ((N, 4, 16, 16),), dict(downscale_factor=2)),
    Entry("interpolate", "nearest-x2", ((N, 8, 8, 8),), dict(scale_factor=2, mode="nearest")),
    Entry("interpolate", "bilinear-x2", ((N, 8, 8, 8),),
          dict(scale_factor=2, mode="bilinear", align_corners=False)),
    Entry("unfold", "3x3-pad1", (X2,), dict(kernel_size=3, padding=1)),
    Entry("fold", "3x3-pad1", ((N, 72, 256),), dict(output_size=16, kernel_size=3, padding=1)),
]

_NORM = [
    Entry("batch_norm", "train", (X2, (8,), (8,), (8,), (8,)), dict(training=True)),
    Entry("batch_norm", "eval", (X2, (8,), (8,), (8,), (8,)), dict(training=False)),
    Entry("layer_norm", "last2", (X2, (16, 16), (16, 16)), dict(normalized_shape=(16, 16))),
    Entry("instance_norm", "affine", (X2, None, None, (8,), (8,))),
    Entry("group_norm", "g4", (X2, (8,), (8,)), dict(num_groups=4)),
    Entry("local_response_norm", "size3", (X2,), dict(size=3)),
    Entry("weight_norm", "dim0", ((16, 8, 3, 3), (16, 1, 1, 1)), dict(dim=0)),
    Entry("layer_norm2d", "convnext", (X2, (8,), (8,))),
    Entry("linear", "head-256-10", ((N, 256), (10, 256), (10,))),
]

_ACT = [
    Entry("dropout", "p0.5", (ACT,), dict(p=0.5, training=True, seed=0)),
    Entry("dropout2d", "p0.5", (ACT,), dict(p=0.5, training=True, seed=0)),
    Entry("relu", "act", (ACT,)),
    Entry("leaky_relu", "slope0.1", (ACT,), dict(negative_slope=0.1)),
    Entry("sigmoid", "act", (ACT,)),
    Entry("tanh", "act", (ACT,)),
    Entry("relu6", "act", (ACT,)),
    Entry("hardsigmoid", "act", (ACT,)),
    Entry("hardswish", "act", (ACT,)),
    Entry("silu", "act", (ACT,)),
    Entry("gelu", "act", (ACT,)),
    Entry("gelu", "tanh", (ACT,), dict(approximate="tanh")),
]

suite("quick", __doc__, [*_CONV, *_POOL, *_NORM, *_ACT,
                         *kernel_sweep(16, 32, batch=1), *size_sweep(8, (8, 16, 32, 64, 128), batch=1)],
      batch=2, budget=dict(min_time=0.05, max_time=0.5))
