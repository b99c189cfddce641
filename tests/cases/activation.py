"""Activation and dropout cases.  relu/leaky_relu inputs are kept away from 0 (the kink)
by the ops' make_inputs.  Dropout cases always pass a seed: the reference draws the same
documented mask."""
from tests.cases import Case, cases

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
