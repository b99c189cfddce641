"""unfold and fold in vectorised NumPy: one strided slice per kernel tap.

For tap (i, j), the blocks whose tap lies inside the image read a strided window of it;
unfold copies that window into the columns (the other entries are the padding's zeros),
fold adds the columns back onto it (the entries that came from the padding are dropped,
never materialised: no padded image is allocated).  The gradient of unfold is fold of the
output gradient and the gradient of fold is unfold of it, so each direction of one op is
the other op's forward.
"""
import numpy as np

from kernels._registry import Algorithm
from kernels.fold.plan import FOLD_OPS

numpy = Algorithm("numpy", ops=FOLD_OPS, doc="one strided copy (unfold) or add (fold) per kernel tap")


def im2col(image, p):
    x = image.reshape(p.image4)
    cols = np.zeros(p.cols6, p.dtype)
    for i in range(p.kernel[0]):
        for j in range(p.kernel[1]):
            window = p.window(i, j)
            if window is not None:
                blocks, taps = window
                cols[(slice(None), slice(None), i, j) + blocks] = x[(slice(None), slice(None)) + taps]
    return cols.reshape(p.cols_shape)


def col2im(cols, p):
    c = cols.reshape(p.cols6)
    image = np.zeros(p.image4, p.dtype)
    for i in range(p.kernel[0]):
        for j in range(p.kernel[1]):
            window = p.window(i, j)
            if window is not None:
                blocks, taps = window
                image[(slice(None), slice(None)) + taps] += c[(slice(None), slice(None), i, j) + blocks]
    return image.reshape(p.image_shape)


@numpy.forward
def forward(x, p):
    return im2col(x, p) if p.unfold else col2im(x, p)


@numpy.backward
def backward(gy, x, p):
    return (col2im(gy, p) if p.unfold else im2col(gy, p),)
