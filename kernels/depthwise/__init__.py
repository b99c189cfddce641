"""Depthwise convolution: one kernel per channel (times a channel multiplier)."""
