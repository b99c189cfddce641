"""pixel_shuffle/unshuffle over (*, C, H, W) with 0 to 2 batch dimensions; interpolate in
every mode torch has over 3-, 4- and 5-D input, with size or scale, both corner conventions,
antialiasing, recomputed scales, up and down, to and from empty and single pixels; unfold
and fold over every block geometry, batch-less input included."""
from kernels._params import prod
from tests.parity.space import Derived, edge, positive, space

LEAD = ((2,), (), (1, 2), *edge((0,)))   # batch dimensions before (C, H, W)

space("pixel_shuffle",
      lambda f: ((*f.lead, f.c * positive(f.upscale_factor) ** 2, f.H, f.W),),
      sizes=dict(lead=LEAD, c=(2, 1, *edge(0)), H=(3, 1, *edge(0)), W=(2, 4)),
      params=dict(upscale_factor=(2, 1, 3, *edge(0))))

space("pixel_unshuffle",
      lambda f: ((*f.lead, f.C, f.h * positive(f.downscale_factor), f.w * positive(f.downscale_factor)),),
      sizes=dict(lead=LEAD, C=(2, 1, *edge(0)), h=(2, 1, *edge(0)), w=(3, 1)),
      params=dict(downscale_factor=(2, 1, 3, *edge(0))))

# interpolate: mode, align_corners, antialias and the spatial rank are one factor ("modes"),
# and size and scale_factor another ("resize"): torch refuses most of their combinations
# (a mode on the wrong rank, align_corners with nearest, antialias with trilinear, both
# sizes or neither).  A mode's entry: (mode, align_corners, antialias, spatial rank or None
# for the modes of every rank, which take the factor "dims").
MODES = {
    "nearest": ("nearest", None, False, None), "nearest-exact": ("nearest-exact", None, False, None),
    "area": ("area", None, False, None), "linear": ("linear", None, False, 1),
    "linear-T": ("linear", True, False, 1), "bilinear": ("bilinear", None, False, 2),
    "bilinear-F": ("bilinear", False, False, 2), "bilinear-T": ("bilinear", True, False, 2),
    "bilinear-aa": ("bilinear", False, True, 2), "bilinear-aa-T": ("bilinear", True, True, 2),
    "bicubic": ("bicubic", None, False, 2), "bicubic-T": ("bicubic", True, False, 2),
    "bicubic-aa": ("bicubic", None, True, 2), "trilinear": ("trilinear", None, False, 3),
    "trilinear-T": ("trilinear", True, False, 3), "lanczos": ("lanczos", None, True, 2),
    # edges: what torch refuses
    "nearest-T": ("nearest", True, False, None), "area-F": ("area", False, False, None),
    "nearest-aa": ("nearest", None, True, None), "lanczos-noaa": ("lanczos", None, False, 2),
    "lanczos-T": ("lanczos", True, True, 2), "linear@2d": ("linear", None, False, 2),
    "bilinear@1d": ("bilinear", None, False, 1), "bicubic@3d": ("bicubic", None, False, 3),
    "trilinear@2d": ("trilinear", False, False, 2), "cubic": ("cubic", None, False, None)}
PLAIN_MODES = list(MODES)[:16]


def _per_axis(values):
    return lambda dims: tuple(values[:dims])


RESIZE = {  # label -> (size, scale_factor) as functions of the spatial rank
    "x2": (None, 2), "x1.7": (None, 1.7), "x0.6,2.5,1.3": (None, _per_axis((0.6, 2.5, 1.3))),
    "x0.5": (None, 0.5), "x1": (None, 1), "size6,3,4": (_per_axis((6, 3, 4)), None), "size3": (3, None),
    "size1": (_per_axis((1, 1, 1)), None), "size2,9,1": (_per_axis((2, 9, 1)), None),
    # edges
    "neither": (None, None), "both": (_per_axis((6, 3, 4)), 2), "size0": (_per_axis((0, 2, 2)), None),
    "x0.1": (None, 0.1), "size-long": (_per_axis((3, 3, 3, 3)), None), "x-inf": (None, float("inf"))}
PLAIN_RESIZE = list(RESIZE)[:9]


def _dims(f):
    return MODES[f.modes][3] or f.dims


def _resize(i):
    def pick(f):
        v = RESIZE[f.resize][i]
        dims = _dims(f) + (f.resize == "size-long")
        return v(dims) if callable(v) else v
    return Derived(f"resize[{i}]", pick)


def _mode(i):
    return Derived(f"modes[{i}]", lambda f: MODES[f.modes][i])


space("interpolate", lambda f: ((f.N, f.C, *(f.X0, f.X1, f.X2)[:_dims(f)]),),
      sizes=dict(N=(2, 1, *edge(0)), C=(2, 1, *edge(0)), dims=(2, 1, 3), X0=(4, 1, 5), X1=(5, 1, 3, *edge(0)),
                 X2=(3, 2), resize=(*PLAIN_RESIZE, *edge(*list(RESIZE)[9:])),
                 modes=(*PLAIN_MODES, *edge(*list(MODES)[16:]))),
      params=dict(size=(_resize(0),), scale_factor=(_resize(1),), mode=(_mode(0),), align_corners=(_mode(1),),
                  recompute_scale_factor=(None, True, False), antialias=(_mode(2),)),
      budget=18)   # every mode in CI


# ---- unfold and fold ---------------------------------------------------------------
BLOCKS = dict(kernel_size=(2, 3, (2, 3), 1, *edge(0, 9)), dilation=(1, 2, (1, 2), *edge(0)),
              padding=(0, 1, (1, 0), *edge(-1)), stride=(1, 2, (2, 1), *edge(0)))

space("unfold", lambda f: ((f.N, f.C, f.X0, f.X1),),
      sizes=dict(N=(2, 1, *edge(0)), C=(2, 1, *edge(0)), X0=(5, 4, *edge(1, 0)), X1=(6, 3)),
      batchless=("input",), params=BLOCKS)


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def _blocks(f):
    """The number of sliding blocks torch's fold expects for the case's geometry (1 where
    the geometry is one torch refuses)."""
    size = _pair(f.output_size)
    k, d, p, s = (_pair(v) for v in (f.kernel_size, f.dilation, f.padding, f.stride))
    grid = [(n + 2 * max(pi, 0) - positive(di) * (positive(ki) - 1) - 1) // positive(si) + 1
            for n, ki, di, pi, si in zip(size, k, d, p, s)]
    return prod(max(g, 1) for g in grid)


# extra: blocks beyond those of the geometry (torch refuses a count that does not match)
space("fold", lambda f: ((f.N, f.C * prod(positive(v) for v in _pair(f.kernel_size)), _blocks(f) + f.extra),),
      sizes=dict(N=(2, 1, *edge(0)), C=(2, 1, *edge(0)), X0=(5, 4, 1), X1=(6, 3), extra=(0, *edge(1))),
      batchless=("input",),
      params=dict(output_size=(Derived("X0,X1", lambda f: (f.X0, f.X1)), Derived("X0", lambda f: f.X0)),
                  **BLOCKS))
