"""Activation and dropout cases.  relu/leaky_relu inputs are kept away from 0 (the kink)
by the ops' make_inputs.  Dropout cases always pass a seed: the reference draws the same
documented mask."""
from tests.cases import Bad, Case, cases, ranks, refuses

X = ((2, 3, 5, 4),)
cases("relu", Case("4d", X), Case("1d", ((3, 7),)), Case("inplace", ((2, 4, 6),), dict(inplace=True)))
cases("leaky_relu", Case("default-slope", X), Case("slope-0.2-5d", ((1, 2, 3, 2, 4),), dict(negative_slope=0.2)),
      Case("negative-slope-inplace", ((4, 5),), dict(negative_slope=-0.5, inplace=True)))
cases("sigmoid", Case("4d", X), Case("3d", ((2, 3, 9),)))
cases("tanh", Case("4d", X), Case("2d", ((5, 6),)))
cases("dropout",
      Case("p0.5", X, dict(p=0.5, seed=1)),
      Case("p0.2-3d", ((2, 4, 7),), dict(p=0.2, seed=2)),
      Case("p0-identity", X, dict(p=0.0, seed=3)),
      Case("p1-zeros", X, dict(p=1.0, seed=4)),
      Case("eval-identity", X, dict(p=0.5, training=False)),
      Case("inplace", ((3, 8),), dict(p=0.3, seed=5, inplace=True)))
cases("dropout2d",
      Case("4d", ((3, 6, 4, 5),), dict(p=0.5, seed=1)),
      Case("3d-NCL", ((2, 5, 7),), dict(p=0.3, seed=2)),
      Case("p1-zeros", ((2, 3, 2, 2),), dict(p=1.0, seed=3)),
      Case("eval-identity", ((2, 3, 4, 4),), dict(training=False)))

for _elementwise in ("relu", "leaky_relu", "sigmoid", "tanh", "dropout"):
    ranks(_elementwise, input=(0, None))   # any shape, 0-d included, as torch

# Each bad call changes the op's first case (x (2, 3, 5, 4); dropout p 0.5, seed 1;
# dropout2d x (3, 6, 4, 5), p 0.5, seed 1).
_P = [Bad("p-negative", ValueError, "p", params=dict(p=-0.1), torch=True),
      Bad("p-above-1", ValueError, "p", params=dict(p=1.5), torch=True),
      Bad("p-string", TypeError, "p", params=dict(p="half"), torch=True),
      Bad("p-None", TypeError, "p", params=dict(p=None), torch=True)]
refuses("dropout", *_P,
        Bad("seed-negative", TypeError, "seed", params=dict(seed=-1)),    # seed: ours only
        Bad("seed-float", TypeError, "seed", params=dict(seed=1.5)),
        Bad("training-None", TypeError, "training", params=dict(training=None), torch=True))
refuses("dropout2d", *_P,
        Bad("inplace-int", TypeError, "inplace", params=dict(inplace=1), torch=False))
refuses("relu", Bad("inplace-int", TypeError, "inplace", params=dict(inplace=1), torch=False))
refuses("leaky_relu",
        Bad("slope-string", TypeError, "negative_slope", params=dict(negative_slope="0.1"), torch=True),
        Bad("inplace-string", TypeError, "inplace", params=dict(inplace="yes"), torch=False))
# sigmoid and tanh take nothing but the input: what they can refuse beyond the derived
# bad calls is an argument of their neighbours
refuses("sigmoid", Bad("inplace-not-an-argument", TypeError, "inplace", params=dict(inplace=True),
                       torch=True))
refuses("tanh", Bad("inplace-not-an-argument", TypeError, "inplace", params=dict(inplace=True), torch=True))
