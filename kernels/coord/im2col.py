"""coord_conv2d with conv2d's ``im2col`` algorithm: coordinate channels, then that convolution."""
import kernels.conv.im2col  # noqa: F401  (registers conv2d's im2col algorithm)
from kernels.coord.plan import coord_algorithm

im2col = coord_algorithm("im2col")
