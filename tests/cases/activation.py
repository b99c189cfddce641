"""Activation and dropout cases.  Random inputs are kept away from the kinks by the ops'
make_inputs; the "specials" cases hold the kinks themselves, +-0, +-inf, NaN and values
far out, where torch's exact values (NaN and infinities matched exactly by rel_err) are
required.  Dropout cases always pass a seed: the reference draws the same documented mask."""
import numpy as np

from tests.cases import Bad, Case, cases, ranks, refuses

X = ((2, 3, 5, 4),)
INF, NAN = np.inf, np.nan
# the kinks of every activation, signed zeros, far values and infinities; 32 elements, so
# torch's vectorised loop computes every one of them (its scalar tail differs at NaN)
_SPECIALS = [-INF, -1e30, -100.0, -10.0, -6.0, -3.0, -2.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0,
             2.5, 3.0, 5.5, 6.0, 6.5, 10.0, 30.0, 100.0, 1e30, INF, -3.05, -2.95, 2.95,
             3.05, -0.05, 0.05, 5.95, 6.05, 7.0]


def specials(nan=True, far=1e30, name="specials", params=None):
    """The special values (NaN replacing the last unless nan=False; +-far for +-1e30) as a
    (4, 8) array: every value's result is torch's to the last bit or within tolerance."""
    values = [v if abs(v) != 1e30 else np.sign(v) * far for v in _SPECIALS]
    if nan:
        values[-1] = NAN
    return Case(name + ("" if nan else "-no-nan"), ((4, 8),), params or {},
                make=lambda rng: [np.array(values).reshape(4, 8)])


def zero_d(params=None):
    return Case("0-d", ((),), params or {})


def empty(params=None):
    return Case("empty", ((2, 0, 3),), params or {})


cases("relu", Case("4d", X), Case("1d", ((3, 7),)), Case("inplace", ((2, 4, 6),), dict(inplace=True)),
      specials(), zero_d(), empty(), Case("inplace-int-flag", ((5,),), dict(inplace=1)))
cases("leaky_relu", Case("default-slope", X), Case("slope-0.2-5d", ((1, 2, 3, 2, 4),), dict(negative_slope=0.2)),
      Case("negative-slope-inplace", ((4, 5),), dict(negative_slope=-0.5, inplace=True)),
      specials(), zero_d(), empty(),
      specials(name="slope-0-specials", params=dict(negative_slope=0.0)),
      Case("slope-int-2", ((3, 4),), dict(negative_slope=2)),
      Case("slope-inf", ((3, 4),), dict(negative_slope=INF)),
      Case("slope-nan", ((3, 4),), dict(negative_slope=NAN)))
cases("relu6", Case("4d", X), Case("inplace", ((2, 4, 6),), dict(inplace=True)),
      specials(nan=False), zero_d(), empty())
cases("hardsigmoid", Case("4d", X), Case("inplace", ((3, 5),), dict(inplace=True)),
      specials(), zero_d(), empty())
cases("hardswish", Case("4d", X), Case("inplace", ((3, 5),), dict(inplace=True)),
      specials(nan=False), zero_d(), empty())
cases("silu", Case("4d", X), Case("inplace-3d", ((2, 3, 7),), dict(inplace=True)),
      specials(), zero_d(), empty())
cases("gelu", Case("4d", X), Case("tanh-3d", ((2, 3, 7),), dict(approximate="tanh")),
      specials(),
      # x**3 of +-1e30 overflows float32 (torch's float32 derivative is NaN there too)
      specials(far=1e10, name="tanh-specials", params=dict(approximate="tanh")),
      zero_d(), Case("0-d-tanh", ((),), dict(approximate="tanh")), empty())
cases("sigmoid", Case("4d", X), Case("3d", ((2, 3, 9),)), specials(), zero_d(), empty())
cases("tanh", Case("4d", X), Case("2d", ((5, 6),)), specials(), zero_d(), empty())
cases("dropout",
      Case("p0.5", X, dict(p=0.5, seed=1)),
      Case("p0.2-3d", ((2, 4, 7),), dict(p=0.2, seed=2)),
      Case("p0-identity", X, dict(p=0.0, seed=3)),
      Case("p1-zeros", X, dict(p=1.0, seed=4)),
      Case("eval-identity", X, dict(p=0.5, training=False)),
      Case("inplace", ((3, 8),), dict(p=0.3, seed=5, inplace=True)),
      Case("0-d", ((),), dict(p=0.5, seed=6)),
      Case("empty", ((0, 3),), dict(p=0.5, seed=7)),
      Case("p-bool-True", ((2, 3),), dict(p=True, seed=8)),
      Case("p-int-0", ((2, 3),), dict(p=0, seed=9)),
      specials(name="specials-p1", params=dict(p=1.0, seed=10)),
      specials(name="specials-p0.5", params=dict(p=0.5, seed=11)),
      specials(name="specials-eval", params=dict(p=0.5, training=False)))
cases("dropout2d",
      Case("4d", ((3, 6, 4, 5),), dict(p=0.5, seed=1)),
      Case("3d-NCL", ((2, 5, 7),), dict(p=0.3, seed=2)),
      Case("p1-zeros", ((2, 3, 2, 2),), dict(p=1.0, seed=3)),
      Case("eval-identity", ((2, 3, 4, 4),), dict(training=False)),
      Case("2d-NC", ((4, 6),), dict(p=0.5, seed=4)),            # torch: deprecated, accepted
      Case("5d", ((2, 3, 2, 2, 3),), dict(p=0.4, seed=5)),      # torch: deprecated, accepted
      Case("inplace-string-flag", ((2, 3, 4),), dict(p=0.5, seed=6, inplace="yes")),
      Case("empty-C", ((2, 0, 3, 3),), dict(p=0.5, seed=7)),
      Case("empty-N", ((0, 3, 3, 3),), dict(p=0.5, seed=8)),
      # no mask drawn: torch takes any rank
      Case("0-d-p1", ((),), dict(p=1.0, seed=9)),
      Case("1-d-p0", ((5,),), dict(p=0.0, seed=10)),
      Case("1-d-eval", ((5,),), dict(p=0.5, training=False)))

for _elementwise in ("relu", "leaky_relu", "relu6", "hardsigmoid", "hardswish", "silu", "gelu",
                     "sigmoid", "tanh", "dropout"):
    ranks(_elementwise, input=(0, None))   # any shape, 0-d included, as torch
ranks("dropout2d", input=(2, None))        # N, C and any spatial dims where a mask is drawn

# Each bad call changes the op's first case (x (2, 3, 5, 4); dropout p 0.5, seed 1;
# dropout2d x (3, 6, 4, 5), p 0.5, seed 1).
_P = [Bad("p-negative", ValueError, "p", params=dict(p=-0.1), torch=True),
      Bad("p-above-1", ValueError, "p", params=dict(p=1.5), torch=True),
      Bad("p-nan", ValueError, "p", params=dict(p=NAN), torch=True),
      Bad("p-huge-int", ValueError, "p", params=dict(p=2 ** 62), torch=True),
      Bad("p-string", TypeError, "p", params=dict(p="half"), torch=True),
      Bad("p-None", TypeError, "p", params=dict(p=None), torch=True),
      Bad("training-None", TypeError, "training", params=dict(training=None), torch=True),
      Bad("training-int", TypeError, "training", params=dict(training=1), torch=True),
      Bad("training-numpy-bool", TypeError, "training", params=dict(training=np.bool_(True)),
          torch=True),
      Bad("inplace-array", TypeError, "inplace", params=dict(inplace=np.ones(2)), torch=True)]
refuses("dropout", *_P,
        Bad("seed-negative", TypeError, "seed", params=dict(seed=-1)),    # seed: ours only
        Bad("seed-float", TypeError, "seed", params=dict(seed=1.5)))
refuses("dropout2d", *_P,
        Bad("input-0-d", ValueError, "input", shapes=dict(input=()), match=r"\(\)", torch=True),
        Bad("input-1-d", ValueError, "input", shapes=dict(input=(5,)), torch=True))
_INPLACE = Bad("inplace-array", TypeError, "inplace", params=dict(inplace=np.ones(2)), torch=True)
for _name in ("relu", "relu6", "hardsigmoid", "hardswish", "silu"):
    refuses(_name, _INPLACE)
refuses("leaky_relu", _INPLACE,
        Bad("slope-string", TypeError, "negative_slope", params=dict(negative_slope="0.1"), torch=True),
        Bad("slope-None", TypeError, "negative_slope", params=dict(negative_slope=None), torch=True))
refuses("gelu",
        Bad("approximate-unknown", ValueError, "approximate", params=dict(approximate="Tanh"), torch=True),
        Bad("approximate-empty", ValueError, "approximate", params=dict(approximate=""), torch=True),
        Bad("approximate-None", TypeError, "approximate", params=dict(approximate=None), torch=True),
        Bad("approximate-bool", TypeError, "approximate", params=dict(approximate=True), torch=True),
        Bad("inplace-not-an-argument", TypeError, "inplace", params=dict(inplace=True), torch=True))
# sigmoid and tanh take nothing but the input: what they can refuse beyond the derived
# bad calls is an argument of their neighbours
refuses("sigmoid", Bad("inplace-not-an-argument", TypeError, "inplace", params=dict(inplace=True),
                       torch=True))
refuses("tanh", Bad("inplace-not-an-argument", TypeError, "inplace", params=dict(inplace=True), torch=True))
