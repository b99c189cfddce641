"""coord_conv2d with conv2d's ``numba`` algorithm: coordinate channels, then that convolution."""
import kernels.conv.numba  # noqa: F401  (registers conv2d's numba algorithm)
from kernels.coord.plan import coord_algorithm

numba = coord_algorithm("numba")
