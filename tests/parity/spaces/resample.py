"""pixel_shuffle/unshuffle over (*, C, H, W) with 0 to 2 batch dimensions; interpolate
(nearest and bilinear, the modes the contract names) with size or scale, both corner
conventions, recomputed scales, up and down, to and from empty and single pixels."""
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

# size and scale_factor, and mode and align_corners, are one factor each: torch refuses
# most of their combinations (both sizes, neither, align_corners with nearest)
RESIZE = {"x2": (None, 2), "x1.7": (None, 1.7), "x0.6,2.5": (None, (0.6, 2.5)), "x0.5": (None, 0.5),
          "x1": (None, 1), "size6,3": ((6, 3), None), "size3": (3, None), "size1,1": ((1, 1), None),
          "size2,9": ((2, 9), None),
          "neither": (None, None), "both": ((6, 3), 2), "size0,2": ((0, 2), None), "x0.1": (None, 0.1)}
MODES = {"nearest": ("nearest", None), "bilinear": ("bilinear", None), "bilinear-F": ("bilinear", False),
         "bilinear-T": ("bilinear", True), "nearest-F": ("nearest", False), "nearest-T": ("nearest", True)}


def _pick(table, factor, i):
    return Derived(factor, lambda f: table[getattr(f, factor)][i])


space("interpolate", lambda f: ((f.N, f.C, f.H, f.W),),
      sizes=dict(N=(2, 1, *edge(0)), C=(2, 1, *edge(0)), H=(4, 1, 5), W=(5, 1, 3, *edge(0)),
                 resize=(*list(RESIZE)[:9], *edge(*list(RESIZE)[9:])),
                 modes=(*list(MODES)[:4], *edge(*list(MODES)[4:]))),
      params=dict(size=(_pick(RESIZE, "resize", 0),), scale_factor=(_pick(RESIZE, "resize", 1),),
                  mode=(_pick(MODES, "modes", 0),), align_corners=(_pick(MODES, "modes", 1),),
                  recompute_scale_factor=(None, True, False),
                  antialias=(False, *edge(True))))
