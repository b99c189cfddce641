"""Elementwise ops and dropout over every rank, 0-d and empty included; the fully connected
layer over any leading dimensions, 1-d weights and every bias torch broadcasts."""
from tests.parity.space import edge, space

SHAPES = ((2, 3, 5), (), (4,), (1, 2, 1, 2, 3), *edge((0,), (2, 0, 3)))
INPLACE = (False, True)


def _x(f):
    return (f.shape,)


for _name in ("relu", "relu6", "hardsigmoid", "hardswish", "silu"):
    space(_name, _x, sizes=dict(shape=SHAPES), params=dict(inplace=INPLACE))
space("leaky_relu", _x, sizes=dict(shape=SHAPES),
      params=dict(negative_slope=(0.01, 0.2, 0.0, -0.5, 1.5, *edge(float("nan"), float("inf"))),
                  inplace=INPLACE))
space("gelu", _x, sizes=dict(shape=SHAPES), params=dict(approximate=("none", "tanh", *edge("erf"))))
space("sigmoid", _x, sizes=dict(shape=SHAPES))
space("tanh", _x, sizes=dict(shape=SHAPES))
# seed (ours) fixes the mask that the reference draws too; seed=None draws a fresh mask
# that nothing can compare with
DROPOUT = dict(p=(0.5, 0.0, 1.0, 0.2, *edge(-0.1, 1.5)), training=(True, False), inplace=INPLACE,
               seed=(1, 7))
space("dropout", _x, sizes=dict(shape=SHAPES), params=DROPOUT)
DROPOUT2D = ((2, 3, 4, 5), (3, 4, 5), (2, 3, 2, 2, 2), *edge((2, 0, 2, 3), (0, 2, 3, 3), (4, 5), (4,)))
space("dropout2d", _x, params=DROPOUT, sizes=dict(shape=DROPOUT2D))


def _linear_shapes(f):
    out = (*f.lead, f.K) if f.weight == "matrix" else tuple(f.lead)
    bias = {"K": (f.K,), None: None, "scalar": (), "one": (1,), "rows,K": (*out[-2:-1], f.K),
            "1,K": (1, f.K), "mismatch": (f.K + 1,), "K,1": (f.K, 1)}[f.bias]
    return (*f.lead, f.C), (f.K, f.C) if f.weight == "matrix" else (f.C,), bias


space("linear", _linear_shapes,
      sizes=dict(lead=((2,), (), (3, 2), (1, 2, 1), *edge((0,), (2, 0))), C=(3, 1, *edge(0)),
                 K=(2, 1, *edge(0)), weight=("matrix", "vector"),
                 bias=("K", None, "scalar", "one", "rows,K", "1,K", *edge("mismatch", "K,1"))))
