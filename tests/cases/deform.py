"""deform_conv2d cases: tiny (naive loops), offsets from DeformConvOp.make_inputs (fractional
parts kept in [0.1, 0.9], away from the kinks of bilinear sampling)."""
from tests.cases import Case, cases


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
