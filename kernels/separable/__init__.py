"""Depthwise-separable convolution: depthwise, then pointwise (1x1)."""
