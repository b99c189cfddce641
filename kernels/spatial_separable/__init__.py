"""Spatially separable convolution (a column filter then a row filter) and the rank-1
factorisation of 2D kernels (``kernels.factorize_separable``)."""
