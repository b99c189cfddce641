"""pixel_shuffle / pixel_unshuffle / interpolate cases: every interpolate mode in 1-D, 2-D and
3-D, align_corners, size and scale_factor (kept and recomputed), antialias, zero-size batches,
NaN and infinite inputs (tiny shapes), and the calls each op refuses."""
import numpy as np

from tests.cases import Bad, Case, cases, ranks, refuses


def _specials(shape):
    """Normal samples with +inf, -inf and NaN among them: torch's output has NaN and
    infinities exactly where its taps (zero-weight ones included) meet them."""
    def make(rng):
        x = rng.standard_normal(shape)
        flat = x.reshape(-1)
        for i, v in zip((1, flat.size // 2, flat.size - 3), (np.inf, np.nan, -np.inf)):
            flat[i] = v
        return [x]
    return make


cases("pixel_shuffle",
      Case("r2", ((2, 8, 3, 4),), dict(upscale_factor=2)),
      Case("r3-5d", ((2, 1, 9, 2, 3),), dict(upscale_factor=3)),
      Case("r1", ((1, 3, 4, 4),), dict(upscale_factor=1)),
      Case("unbatched", ((8, 3, 2),), dict(upscale_factor=2)),
      Case("7d", ((1, 2, 1, 2, 4, 2, 3),), dict(upscale_factor=2)),
      Case("N0", ((0, 8, 3, 4),), dict(upscale_factor=2)),
      Case("C0", ((2, 0, 3, 4),), dict(upscale_factor=2)),
      Case("H0", ((2, 4, 0, 3),), dict(upscale_factor=2)),
      Case("nan-inf", ((1, 4, 2, 3),), dict(upscale_factor=2), make=_specials((1, 4, 2, 3))))

cases("pixel_unshuffle",
      Case("r2", ((2, 2, 6, 8),), dict(downscale_factor=2)),
      Case("r3-3d", ((2, 6, 9),), dict(downscale_factor=3)),
      Case("6d", ((2, 1, 2, 1, 4, 6),), dict(downscale_factor=2)),
      Case("N0", ((0, 2, 4, 4),), dict(downscale_factor=2)),
      Case("W0", ((1, 2, 4, 0),), dict(downscale_factor=2)),
      Case("nan-inf", ((1, 1, 4, 6),), dict(downscale_factor=2), make=_specials((1, 1, 4, 6))))
ranks("pixel_shuffle", input=(3, None))      # (*, C, H, W): any number of batch dimensions
ranks("pixel_unshuffle", input=(3, None))

cases("interpolate",
      # 2-D nearest (torch's "legacy" nearest)
      Case("nearest-x2", ((2, 3, 4, 5),), dict(scale_factor=2)),
      Case("nearest-size-down", ((1, 2, 9, 11),), dict(size=(4, 6))),
      Case("nearest-size-up-odd", ((1, 2, 5, 4),), dict(size=(7, 13))),
      Case("nearest-scale-1.7", ((1, 2, 6, 7),), dict(scale_factor=1.7)),
      Case("nearest-scale-recompute", ((1, 2, 6, 7),), dict(scale_factor=(1.7, 0.6),
                                                            recompute_scale_factor=True)),
      # OH + OW > 128: torch's generic kernel, which has no shortcut for equal sizes
      Case("nearest-generic-path", ((1, 1, 5, 3),), dict(scale_factor=(1.1, 45))),
      Case("nearest-exact-size", ((1, 2, 5, 7),), dict(size=(8, 4), mode="nearest-exact")),
      Case("nearest-exact-scale", ((1, 2, 6, 5),), dict(scale_factor=1.5, mode="nearest-exact")),
      # bilinear
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
                                                             recompute_scale_factor=True)),
      # bicubic (A = -0.75, clamped borders)
      Case("bicubic-x2", ((1, 2, 4, 5),), dict(scale_factor=2, mode="bicubic")),
      Case("bicubic-corners", ((1, 2, 5, 4),), dict(size=(7, 9), mode="bicubic", align_corners=True)),
      Case("bicubic-down", ((1, 2, 9, 11),), dict(size=(4, 6), mode="bicubic")),
      Case("bicubic-scale-1.7", ((1, 2, 6, 7),), dict(scale_factor=1.7, mode="bicubic")),
      # antialias (Pillow's filters; lanczos takes antialias only)
      Case("bilinear-aa-down", ((1, 2, 9, 11),), dict(size=(4, 5), mode="bilinear", antialias=True)),
      Case("bilinear-aa-up", ((1, 2, 4, 5),), dict(size=(7, 8), mode="bilinear", antialias=True)),
      Case("bilinear-aa-corners", ((1, 2, 9, 8),), dict(size=(5, 3), mode="bilinear",
                                                        align_corners=True, antialias=True)),
      Case("bicubic-aa-scale", ((1, 2, 12, 9),), dict(scale_factor=0.45, mode="bicubic",
                                                      antialias=True)),
      Case("bicubic-aa-corners", ((1, 2, 10, 9),), dict(size=(4, 4), mode="bicubic",
                                                        align_corners=True, antialias=True)),
      Case("lanczos-down", ((1, 2, 12, 10),), dict(size=(5, 4), mode="lanczos", antialias=True)),
      Case("lanczos-up", ((1, 2, 4, 3),), dict(size=(7, 6), mode="lanczos", antialias=True)),
      Case("lanczos-one-axis", ((1, 2, 9, 5),), dict(size=(4, 5), mode="lanczos", antialias=True)),
      # area (adaptive average pooling); a scale factor is always recomputed
      Case("area-down", ((2, 3, 9, 11),), dict(size=(4, 5), mode="area")),
      Case("area-scale", ((1, 2, 9, 10),), dict(scale_factor=0.5, mode="area")),
      Case("area-up", ((1, 2, 3, 4),), dict(size=(5, 7), mode="area")),
      # 1-D (N, C, L)
      Case("nearest-1d", ((2, 3, 5),), dict(size=8)),
      Case("nearest-1d-scale", ((2, 2, 7),), dict(scale_factor=0.6)),
      Case("nearest-exact-1d", ((2, 2, 5),), dict(scale_factor=1.7, mode="nearest-exact")),
      Case("linear-1d", ((2, 3, 5),), dict(size=9, mode="linear")),
      Case("linear-1d-corners", ((2, 3, 6),), dict(size=4, mode="linear", align_corners=True)),
      Case("linear-1d-scale", ((1, 2, 7),), dict(scale_factor=1.3, mode="linear")),
      Case("area-1d", ((2, 3, 9),), dict(size=4, mode="area")),
      # 3-D (N, C, D, H, W)
      Case("nearest-3d", ((1, 2, 3, 4, 5),), dict(scale_factor=2)),
      Case("nearest-3d-size", ((1, 2, 4, 3, 5),), dict(size=(3, 5, 2))),
      Case("nearest-exact-3d", ((1, 2, 3, 4, 2),), dict(size=(5, 3, 4), mode="nearest-exact")),
      Case("trilinear", ((1, 2, 3, 4, 2),), dict(size=(5, 3, 4), mode="trilinear")),
      Case("trilinear-corners", ((1, 2, 3, 3, 4),), dict(scale_factor=1.5, mode="trilinear",
                                                         align_corners=True)),
      Case("area-3d", ((1, 2, 5, 6, 4),), dict(size=(2, 3, 2), mode="area")),
      # empty batches (and channels, which adaptive pooling takes)
      Case("nearest-N0", ((0, 2, 3, 4),), dict(size=(5, 6))),
      Case("bilinear-N0", ((0, 2, 3, 4),), dict(scale_factor=2, mode="bilinear")),
      Case("trilinear-N0", ((0, 1, 2, 3, 2),), dict(size=3, mode="trilinear")),
      Case("area-C0", ((2, 0, 3, 4),), dict(size=(2, 2), mode="area")),
      Case("area-1d-C0", ((1, 0, 5),), dict(size=3, mode="area")),
      # NaN and infinities: torch's values exactly (zero-weight taps included)
      Case("nearest-nan-inf", ((1, 2, 4, 5),), dict(scale_factor=2), make=_specials((1, 2, 4, 5))),
      Case("nearest-down-nan-inf", ((1, 2, 6, 7),), dict(size=(4, 3)), make=_specials((1, 2, 6, 7))),
      Case("nearest-exact-nan-inf", ((1, 2, 4, 5),), dict(size=(7, 3), mode="nearest-exact"),
           make=_specials((1, 2, 4, 5))),
      Case("bilinear-nan-inf", ((1, 2, 4, 5),), dict(size=(7, 5), mode="bilinear"),
           make=_specials((1, 2, 4, 5))),
      Case("bilinear-corners-nan-inf", ((1, 2, 5, 3),), dict(size=(9, 5), mode="bilinear",
                                                             align_corners=True),
           make=_specials((1, 2, 5, 3))),
      Case("bicubic-nan-inf", ((1, 2, 4, 5),), dict(scale_factor=2, mode="bicubic"),
           make=_specials((1, 2, 4, 5))),
      Case("bilinear-aa-nan-inf", ((1, 2, 8, 6),), dict(size=(3, 6), mode="bilinear", antialias=True),
           make=_specials((1, 2, 8, 6))),
      Case("lanczos-nan-inf", ((1, 2, 9, 7),), dict(size=(4, 3), mode="lanczos", antialias=True),
           make=_specials((1, 2, 9, 7))),
      Case("area-nan-inf", ((1, 2, 7, 6),), dict(size=(3, 4), mode="area"), make=_specials((1, 2, 7, 6))),
      Case("linear-1d-nan-inf", ((1, 2, 6),), dict(size=6, mode="linear"), make=_specials((1, 2, 6))),
      Case("trilinear-nan-inf", ((1, 1, 3, 4, 3),), dict(size=(3, 7, 5), mode="trilinear"),
           make=_specials((1, 1, 3, 4, 3))))
ranks("interpolate", input=(3, 5))


# Each bad call changes the op's first case (or the case it names).
refuses("pixel_shuffle",   # x (2, 8, 3, 4), factor 2
        Bad("channels-not-divisible", ValueError, "upscale_factor", params=dict(upscale_factor=3),
            torch=True),
        Bad("factor-0", ValueError, "upscale_factor", params=dict(upscale_factor=0), torch=True),
        Bad("factor-bool", TypeError, "upscale_factor", params=dict(upscale_factor=True), torch=True),
        Bad("factor-2**62", ValueError, "upscale_factor", params=dict(upscale_factor=2 ** 62), torch=True),
        Bad("output-cannot-exist", ValueError, "upscale_factor", case="C0",
            params=dict(upscale_factor=2 ** 31), torch=True))

refuses("pixel_unshuffle",   # x (2, 2, 6, 8), factor 2
        Bad("width-not-divisible", ValueError, "downscale_factor", params=dict(downscale_factor=3),
            torch=True),
        Bad("factor-float", TypeError, "downscale_factor", params=dict(downscale_factor=2.0), torch=True),
        Bad("factor-negative", ValueError, "downscale_factor", params=dict(downscale_factor=-2),
            torch=True),
        # torch returns a tensor of a wrong shape here (its C * r * r overflows)
        Bad("output-cannot-exist", ValueError, "downscale_factor", case="W0",
            shapes=dict(input=(1, 2, 0, 0)), params=dict(downscale_factor=2 ** 62), torch=False))

SIZE_OR_SCALE = "size or scale_factor"
refuses("interpolate",   # x (2, 3, 4, 5), scale 2, nearest
        Bad("mode-unknown", ValueError, "mode", params=dict(mode="cubic"), torch=True),
        Bad("mode-none", ValueError, "mode", params=dict(mode=None), torch=True),
        Bad("mode-wrong-rank", ValueError, "mode", params=dict(mode="trilinear"), torch=True),
        Bad("linear-on-4d", ValueError, "mode", params=dict(mode="linear"), torch=True),
        Bad("bilinear-on-3d", ValueError, "mode", case="linear-1d", params=dict(mode="bilinear"),
            torch=True),
        Bad("size-and-scale", ValueError, "size", params=dict(size=4), match=SIZE_OR_SCALE, torch=True),
        Bad("neither-size-nor-scale", ValueError, "size", params=dict(scale_factor=None),
            match=SIZE_OR_SCALE, torch=True),
        Bad("align-corners-nearest", ValueError, "align_corners", params=dict(align_corners=True),
            torch=True),
        Bad("align-corners-false-area", ValueError, "align_corners", case="area-down",
            params=dict(align_corners=False), torch=True),
        Bad("align-corners-nearest-exact", ValueError, "align_corners", case="nearest-exact-size",
            params=dict(align_corners=False), torch=True),
        Bad("align-corners-int", TypeError, "align_corners", case="bilinear-x2",
            params=dict(align_corners=1), torch=True),
        Bad("align-corners-lanczos", ValueError, "align_corners", case="lanczos-down",
            params=dict(align_corners=True), torch=True),
        Bad("lanczos-without-antialias", ValueError, "antialias", case="lanczos-down",
            params=dict(antialias=False), torch=True),
        Bad("antialias-nearest", ValueError, "antialias", params=dict(antialias=True), torch=True),
        Bad("antialias-trilinear", ValueError, "antialias", case="trilinear",
            params=dict(antialias=True), torch=True),
        # torch takes any truthy value for these flags; ours are bools, as every flag here
        Bad("antialias-int", TypeError, "antialias", case="bilinear-aa-down",
            params=dict(antialias=1), torch=False),
        Bad("recompute-int", TypeError, "recompute_scale_factor", params=dict(recompute_scale_factor=1),
            torch=False),
        Bad("recompute-with-size", ValueError, "recompute_scale_factor",
            params=dict(size=4, scale_factor=None, recompute_scale_factor=True), torch=True),
        Bad("scale-0", ValueError, "scale_factor", params=dict(scale_factor=0.0), torch=True),
        Bad("scale-negative", ValueError, "scale_factor", params=dict(scale_factor=-2.0), torch=True),
        Bad("scale-to-empty", ValueError, "scale_factor", params=dict(scale_factor=0.1), torch=True),
        Bad("scale-inf", ValueError, "scale_factor", params=dict(scale_factor=float("inf")), torch=True),
        Bad("scale-nan", ValueError, "scale_factor", params=dict(scale_factor=float("nan")), torch=True),
        Bad("scale-str", TypeError, "scale_factor", params=dict(scale_factor="2"), torch=True),
        Bad("scale-3-values", ValueError, "scale_factor", params=dict(scale_factor=(2, 2, 2)), torch=True),
        Bad("scale-2**62", ValueError, "scale_factor", params=dict(scale_factor=2 ** 62), torch=True),
        Bad("scale-1e300", ValueError, "scale_factor", params=dict(scale_factor=1e300,
                                                                 recompute_scale_factor=True), torch=True),
        Bad("size-0", ValueError, "size", params=dict(size=(0, 3), scale_factor=None), torch=True),
        Bad("size-negative", ValueError, "size", params=dict(size=-1, scale_factor=None), torch=True),
        Bad("size-3-values", ValueError, "size", params=dict(size=(2, 3, 4), scale_factor=None), torch=True),
        Bad("size-float", TypeError, "size", params=dict(size=4.0, scale_factor=None), torch=True),
        Bad("size-bool", TypeError, "size", params=dict(size=(True, 2), scale_factor=None), torch=True),
        Bad("size-2**62", ValueError, "size", params=dict(size=2 ** 62, scale_factor=None), torch=True),
        Bad("size-2**70", ValueError, "size", params=dict(size=(2 ** 70, 1), scale_factor=None), torch=True),
        Bad("channels-0", ValueError, "input", shapes=dict(input=(2, 0, 4, 5)), torch=True),
        Bad("channels-0-3d-area", ValueError, "input", case="area-3d", shapes=dict(input=(1, 0, 5, 6, 4)),
            torch=True),
        Bad("height-0", ValueError, "input", shapes=dict(input=(2, 3, 0, 5)), torch=True))
