"""Normalisation: every rank torch takes, empty batch and channels, statistics present or
not, training and eval, momentum and eps at and beyond their edges."""
from tests.parity.space import Derived, edge, positive, space

SPATIAL = ((4,), (), (3, 2), (2, 3, 2), *edge((0,), (1,)))


def _bn_shapes(f):
    C = (f.C,)
    return ((f.N, f.C, *f.spatial), C if f.stats else None, C if f.stats else None,
            C if f.affine in ("both", "weight") else None, C if f.affine in ("both", "bias") else None)


AFFINE = ("both", "none", "weight", "bias")
MOMENTUM = (0.1, 0.0, 1.0, *edge(None, -0.5))
EPS = (1e-5, 0.5, *edge(0.0, -1e-3))
NORM = dict(N=(2, 1, *edge(0)), C=(3, 1, *edge(0)), spatial=SPATIAL, stats=(True, False),
            affine=AFFINE)

space("batch_norm", _bn_shapes, sizes=NORM,
      params=dict(training=(False, True), momentum=MOMENTUM, eps=EPS))
space("instance_norm", _bn_shapes, sizes=NORM,
      params=dict(use_input_stats=(True, False), momentum=MOMENTUM, eps=EPS))


def _gn_shapes(f):
    C = positive(f.num_groups) * f.Cg
    return ((f.N, C, *f.spatial), (C,) if f.affine in ("both", "weight") else None,
            (C,) if f.affine in ("both", "bias") else None)


space("group_norm", _gn_shapes,
      sizes=dict(N=(2, 1, *edge(0)), Cg=(2, 1, *edge(0)), spatial=SPATIAL, affine=AFFINE),
      params=dict(num_groups=(1, 2, 3), eps=EPS))


def _trailing(k):
    return Derived(f"last{k}", lambda f: tuple(f.shape[len(f.shape) - k:]))


def _ln_shapes(f):
    ns = (f.normalized_shape,) if isinstance(f.normalized_shape, int) else tuple(f.normalized_shape)
    return (f.shape, ns if f.affine in ("both", "weight") else None,
            ns if f.affine in ("both", "bias") else None)


space("layer_norm", _ln_shapes,
      sizes=dict(shape=((2, 3, 4), (5,), (2, 3, 2, 2), (3, 1), *edge((0, 3, 2), (2, 0))), affine=AFFINE),
      params=dict(normalized_shape=(_trailing(1), _trailing(2),
                                    Derived("int", lambda f: f.shape[-1] if f.shape else 1),
                                    *edge(Derived("mismatch", lambda f: (7,)))),
                  eps=EPS))

space("local_response_norm", lambda f: ((f.N, f.C, *f.spatial),),
      sizes=dict(N=(2, 1, *edge(0)), C=(5, 1, *edge(0)), spatial=((3, 2), (4,), (2, 2, 2), *edge((), (0,)))),
      params=dict(size=(2, 1, 3, 7, *edge(0)), alpha=(1e-4, 1.0, *edge(0.0, -1.0)), beta=(0.75, 0.0, 2.0),
                  k=(1.0, 0.5, 2.0, *edge(0.0))))


def _g_shape(f):
    if f.dim is None:
        return ()
    d = f.dim % len(f.v) if -len(f.v) <= f.dim < len(f.v) else 0
    return tuple(n if i == d else 1 for i, n in enumerate(f.v))


def _wn_shapes(f):
    g = _g_shape(f) if f.g == "keepdims" else tuple(n for n in _g_shape(f) if n != 1) or (1,)
    return f.v, g


space("weight_norm", _wn_shapes,
      sizes=dict(v=((4, 3, 2, 2), (5, 3), (6,), *edge((3, 0, 2), ())), g=("keepdims", *edge("flat"))),
      params=dict(dim=(0, 1, -1, None, *edge(2, -5))))


def _ln2d_shapes(f):
    C = (f.C,)
    return ((f.N, f.C, f.H, f.W), C if f.affine in ("both", "weight") else None,
            C if f.affine in ("both", "bias") else None)


# torchvision's LayerNorm2d (ConvNeXt): 4-D input only (its permute takes no other rank)
space("layer_norm2d", _ln2d_shapes,
      sizes=dict(N=(2, 1, *edge(0)), C=(3, 1, *edge(0)), H=(3, 1, *edge(0)), W=(2, 4), affine=AFFINE),
      params=dict(eps=(1e-6, 0.5, *edge(0.0, -1e-3))))
