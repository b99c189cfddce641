"""pixel_shuffle / pixel_unshuffle / interpolate cases (tiny shapes, both align_corners,
size and scale_factor, up and down)."""
from tests.cases import Case, cases

cases("pixel_shuffle",
      Case("r2", ((2, 8, 3, 4),), dict(upscale_factor=2)),
      Case("r3-5d", ((2, 1, 9, 2, 3),), dict(upscale_factor=3)),
      Case("r1", ((1, 3, 4, 4),), dict(upscale_factor=1)))

cases("pixel_unshuffle",
      Case("r2", ((2, 2, 6, 8),), dict(downscale_factor=2)),
      Case("r3-3d", ((2, 6, 9),), dict(downscale_factor=3)))

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
