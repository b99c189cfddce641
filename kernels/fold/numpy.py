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
from kernels.fold.plan import FOLD_OPS, declare

numpy = Algorithm("numpy", ops=FOLD_OPS, doc="one strided copy (unfold) or add (fold) per kernel tap")


def _windows(p):
    """(column index, image index) of every kernel tap (i, j) whose blocks reach the image:
    the strided window of the columns and the strided window of the image it reads."""
    every = (slice(None), slice(None))   # all of N and C
    for i in range(p.kernel[0]):
        for j in range(p.kernel[1]):
            window = p.window(i, j)
            if window is not None:
                blocks, taps = window
                yield every + (i, j) + blocks, every + taps


def im2col(image, p):
    x, cols = image.reshape(p.image4), np.zeros(p.cols6, p.dtype)
    for col, img in _windows(p):
        cols[col] = x[img]
    return cols.reshape(p.cols_shape)


def col2im(columns, p):
    cols, image = columns.reshape(p.cols6), np.zeros(p.image4, p.dtype)
    for col, img in _windows(p):
        image[img] += cols[col]
    return image.reshape(p.image_shape)


declare(numpy, im2col, col2im)
