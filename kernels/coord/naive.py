"""coord_conv2d with conv2d's ``naive`` algorithm: coordinate channels, then that convolution."""
import kernels.conv.naive  # noqa: F401  (registers conv2d's naive algorithm)
from kernels.coord.plan import coord_algorithm

naive = coord_algorithm("naive")
