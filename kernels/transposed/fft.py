"""Transposed convolution by FFT, through the conv FFT's passes on ``p.conv`` (the strided
convolution whose input gradient this op is):

    forward      = conv grad_input of x  (x upsampled by the stride, full correlation with
                   the flipped, channel-transposed kernel, cropped)
    grad_input   = conv forward of grad_out
    grad_weight  = conv grad_weight with grad_out = x and input = grad_out
"""
from kernels._registry import Algorithm
from kernels.conv.fft import conv_forward, grad_input, grad_weight, upsample
from kernels.conv.fft import supports as conv_supports
from kernels.phases import phase_clock
from kernels.transposed.plan import TRANSPOSED_OPS

fft = Algorithm("fft", ops=TRANSPOSED_OPS,
                doc="the conv FFT's passes on the equivalent strided conv: forward = its "
                    "grad_input, backward = its forward and grad_weight (a NaN or infinity "
                    "spreads over its tile)")


@fft.supports
def supports(p):
    return conv_supports(p.conv)


def _upsampled(x, c):
    """x as the conv's grad_out at full resolution, grouped (N, G, C/G, *full)."""
    return upsample(x, c).reshape(c.N, c.G, c.Kg, *c.full_out)


@fft.forward
def forward(x, w, b, p):
    c = p.conv
    y = grad_input(_upsampled(x, c), w, c, c.dilated_kernel, phase_clock(fft))
    if b is not None:
        y += b.reshape((1, p.K) + (1,) * p.nd)
    return y


@fft.backward
def backward(gy, x, w, b, p):
    clock, c = phase_clock(fft), p.conv
    gx = conv_forward(gy, w, None, c, clock)
    gw = grad_weight(_upsampled(x, c), gy, c, c.dilated_kernel, clock)
    gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
    return gx, gw, gb
