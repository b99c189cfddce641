"""pixel_shuffle / pixel_unshuffle / interpolate cases (tiny shapes, both align_corners,
size and scale_factor, up and down)."""
from tests.cases import Bad, Case, cases, ranks, refuses

cases("pixel_shuffle",
      Case("r2", ((2, 8, 3, 4),), dict(upscale_factor=2)),
      Case("r3-5d", ((2, 1, 9, 2, 3),), dict(upscale_factor=3)),
      Case("r1", ((1, 3, 4, 4),), dict(upscale_factor=1)))

cases("pixel_unshuffle",
      Case("r2", ((2, 2, 6, 8),), dict(downscale_factor=2)),
      Case("r3-3d", ((2, 6, 9),), dict(downscale_factor=3)))
ranks("pixel_shuffle", input=(3, 8))      # (*, C, H, W): up to five batch dimensions
ranks("pixel_unshuffle", input=(3, 8))

cases("interpolate",
      Case("nearest-x2", ((2, 3, 4, 5),), dict(scale_factor=2)),
      Case("nearest-size-down", ((1, 2, 9, 11),), dict(size=(4, 6))),
      Case("nearest-size-up-odd", ((1, 2, 5, 4),), dict(size=(7, 13))),
      Case("nearest-scale-1.7", ((1, 2, 6, 7),), dict(scale_factor=1.7)),
      Case("nearest-scale-recompute", ((1, 2, 6, 7),), dict(scale_factor=(1.7, 0.6),
                                                            recompute_scale_factor=True)),
      Case("bilinear-x2", ((2, 3, 4, 5),), dict(scale_factor=2, mode="bilinear")),
      Case("bilinear-x2-corners", ((2, 3, 4, 5),), dict(scale_factor=2, mode="bilinear",
                                                        align_corners=True)),
      Case("bilinear-size-down", ((1, 2, 9, 11),), dict(size=(4, 6), mode="bilinear",
                                                        align_corners=False)),
      Case("bilinear-size-down-corners", ((1, 2, 9, 11),), dict(size=(4, 6), mode="bilinear",
                                                                align_corners=True)),
      Case("bilinear-scale-1.7", ((1, 2, 6, 7),), dict(scale_factor=1.7, mode="bilinear")),
      Case("bilinear-to-1x1", ((1, 2, 5, 6),), dict(size=(1, 1), mode="bilinear", align_corners=True)),
      Case("bilinear-same-rows", ((1, 2, 5, 6),), dict(size=(5, 9), mode="bilinear")),
      Case("bilinear-scale-recompute", ((1, 2, 6, 7),), dict(scale_factor=(1.3, 2.6), mode="bilinear",
                                                             recompute_scale_factor=True)))


# Each bad call changes the op's first case (or the case it names).
refuses("pixel_shuffle",   # x (2, 8, 3, 4), factor 2
        Bad("channels-not-divisible", ValueError, "upscale_factor", params=dict(upscale_factor=3),
            torch=True),
        Bad("factor-0", ValueError, "upscale_factor", params=dict(upscale_factor=0), torch=True))

refuses("pixel_unshuffle",   # x (2, 2, 6, 8), factor 2
        Bad("width-not-divisible", ValueError, "downscale_factor", params=dict(downscale_factor=3),
            torch=True),
        Bad("factor-float", TypeError, "downscale_factor", params=dict(downscale_factor=2.0), torch=True))

SIZE_OR_SCALE = "size or scale_factor"
refuses("interpolate",   # x (2, 3, 4, 5), scale 2, nearest
        Bad("mode-bicubic", ValueError, "mode", params=dict(mode="bicubic"), torch=False),
        Bad("size-and-scale", ValueError, "size", params=dict(size=4), match=SIZE_OR_SCALE, torch=True),
        Bad("neither-size-nor-scale", ValueError, "size", params=dict(scale_factor=None),
            match=SIZE_OR_SCALE, torch=True),
        Bad("align-corners-nearest", ValueError, "align_corners", params=dict(align_corners=True),
            torch=True),
        Bad("scale-0", ValueError, "scale_factor", params=dict(scale_factor=0.0), torch=True),
        Bad("scale-to-empty", ValueError, "scale_factor", params=dict(scale_factor=0.1), torch=True),
        Bad("size-0", ValueError, "size", params=dict(size=(0, 3), scale_factor=None), torch=True),
        Bad("size-3-values", ValueError, "size", params=dict(size=(2, 3, 4), scale_factor=None), torch=True),
        Bad("recompute-with-size", ValueError, "recompute_scale_factor",
            params=dict(size=4, scale_factor=None, recompute_scale_factor=True), torch=True),
        Bad("antialias", ValueError, "antialias", params=dict(antialias=True), torch=True))
