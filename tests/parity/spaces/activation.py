"""Elementwise ops and dropout over every rank, 0-d and empty included."""
from tests.parity.space import edge, space

SHAPES = ((2, 3, 5), (), (4,), (1, 2, 1, 2, 3), *edge((0,), (2, 0, 3)))


def _x(f):
    return (f.shape,)


space("relu", _x, sizes=dict(shape=SHAPES), params=dict(inplace=(False, True)))
space("leaky_relu", _x, sizes=dict(shape=SHAPES),
      params=dict(negative_slope=(0.01, 0.2, 0.0, -0.5, 1.5, *edge(float("nan"), float("inf"))),
                  inplace=(False, True)))
space("sigmoid", _x, sizes=dict(shape=SHAPES))
space("tanh", _x, sizes=dict(shape=SHAPES))
# seed (ours) fixes the mask that the reference draws too; seed=None draws a fresh mask
# that nothing can compare with
DROPOUT = dict(p=(0.5, 0.0, 1.0, 0.2, *edge(-0.1, 1.5)), training=(True, False), inplace=(False, True),
               seed=(1, 7))
space("dropout", _x, sizes=dict(shape=SHAPES), params=DROPOUT)
DROPOUT2D = ((2, 3, 4, 5), (3, 4, 5), (2, 3, 2, 2, 2), *edge((2, 0, 2, 3), (0, 2, 3, 3), (4, 5), (4,)))
space("dropout2d", _x, params=DROPOUT, sizes=dict(shape=DROPOUT2D))
