"""deform_conv2d cases: tiny (naive loops), offsets from DeformConvOp.make_inputs (fractional
parts kept in [0.1, 0.9], away from the kinks of bilinear sampling), and the calls it refuses."""
from tests.cases import Bad, Case, cases, refuses


def shapes(N, C, H, W, K, Cg, R, S, P, Q, G_off=1, bias=True, mask=False):
    return ((N, C, H, W), (N, 2 * G_off * R * S, P, Q), (K, Cg, R, S),
            (K,) if bias else None, (N, G_off * R * S, P, Q) if mask else None)


cases("deform_conv2d",
      Case("3x3-pad1", shapes(2, 2, 4, 5, 3, 2, 3, 3, 4, 5), dict(padding=1)),
      Case("mask-no-bias", shapes(1, 2, 5, 4, 2, 2, 3, 3, 3, 2, bias=False, mask=True)),
      Case("offset-groups2-mask", shapes(1, 4, 4, 4, 2, 4, 3, 2, 4, 5, G_off=2, mask=True),
           dict(padding=(1, 1))),
      Case("groups2", shapes(2, 4, 5, 5, 4, 2, 2, 2, 4, 4, G_off=2), dict(padding=0)),
      Case("stride-dil", shapes(1, 2, 7, 6, 2, 2, 2, 3, 3, 2, mask=True), dict(stride=2, dilation=(2, 1))),
      Case("same", shapes(1, 1, 4, 4, 2, 1, 2, 2, 4, 4), dict(padding="same")),
      Case("groups2-offset-groups4", shapes(1, 4, 4, 4, 2, 2, 2, 2, 3, 3, G_off=4, bias=False, mask=True)),
      Case("1x1", shapes(2, 3, 3, 3, 2, 3, 1, 1, 3, 3, mask=True)))


# Each bad call changes the first case: x (2, 2, 4, 5), offset (2, 18, 4, 5), w (3, 2, 3, 3),
# b (3,), no mask, padding 1 (or "groups2": x (2, 4, 5, 5), offset (2, 16, 4, 4),
# w (4, 2, 2, 2), two offset groups).
refuses("deform_conv2d",
        Bad("offset-odd-channels", ValueError, "offset", shapes=dict(offset=(2, 17, 4, 5))),
        Bad("offset-no-channels", ValueError, "offset", shapes=dict(offset=(2, 0, 4, 5))),
        Bad("offset-size", ValueError, "offset", shapes=dict(offset=(2, 18, 5, 5))),
        Bad("offset-batch", ValueError, "offset", shapes=dict(offset=(1, 18, 4, 5))),
        Bad("offset-groups-not-dividing-C", ValueError, "offset", shapes=dict(offset=(2, 54, 4, 5))),
        Bad("mask-channels", ValueError, "mask", shapes=dict(mask=(2, 18, 4, 5))),
        Bad("mask-size", ValueError, "mask", shapes=dict(mask=(2, 9, 3, 5))),
        Bad("mask-batch", ValueError, "mask", shapes=dict(mask=(1, 9, 4, 5))),
        Bad("weight-channels", ValueError, "weight", shapes=dict(weight=(3, 3, 3, 3))),
        Bad("weight-filters-not-dividing-groups", ValueError, "weight", shapes=dict(weight=(5, 2, 2, 2)),
            case="groups2"),
        Bad("weight-larger-than-input", ValueError, "weight", shapes=dict(weight=(3, 2, 9, 9))),
        Bad("bias-length", ValueError, "bias", shapes=dict(bias=(4,))),
        Bad("stride-0", ValueError, "stride", params=dict(stride=0)))
