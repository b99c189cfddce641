"""Depthwise convolution by FFT: the conv family's FFT algorithm with groups = C.

A depthwise plan is a ConvPlan with G = C, so every pass (forward, grad_input,
grad_weight) is the conv FFT's grouped correlation: per channel, one (m, 1) @ (1, batch)
product per frequency, i.e. the pointwise spectrum product of each input channel with
its m kernels.
"""
from kernels._registry import Algorithm
from kernels.conv.fft import conv_backward, conv_forward
from kernels.conv.fft import supports as conv_fft_supports
from kernels.depthwise.plan import DEPTHWISE_OPS
from kernels.phases import phase_clock

fft = Algorithm("fft", ops=DEPTHWISE_OPS,
                doc="conv FFT with groups = C (real FFTs, overlap-save tiles); backward by FFT "
                    "(a NaN or infinity spreads over its tile)")
fft.supports(conv_fft_supports)


@fft.forward
def forward(x, w, b, p):
    return conv_forward(x, w, b, p, phase_clock(fft))


@fft.backward
def backward(gy, x, w, b, p):
    return conv_backward(gy, x, w, b, p, phase_clock(fft))
