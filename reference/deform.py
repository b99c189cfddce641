"""Reference for deform_conv2d from torch primitives (torchvision is not installed).

Bilinear sampling as torchvision's ``bilinear_interpolate``: the four pixels around the
real point (y, x), each read as zero outside the image, weighted (1-ly)(1-lx), (1-ly)lx,
ly(1-lx), ly*lx with ly = y - floor(y).  floor has zero derivative, so autograd gives the
offset gradient as the derivative of those weights, as torchvision's backward does.  The
samples (times the mask) form the deformable patch matrix, contracted with the weight by
one einsum per group.  Arguments arrive arrays first (input, offset, weight, bias, mask),
as the registry passes them; call with mask= to use torchvision's order.
"""
import torch

from reference import ref
from reference.pads import pads2d, pair


def _sample(img, y, x):
    """img (N, G, Cg, H, W) sampled at y, x (N, G, T) -> (N, G, Cg, T), zero outside."""
    N, G, Cg, H, W = img.shape
    if H * W == 0:  # an image with no pixel samples zero everywhere
        return torch.zeros((N, G, Cg, y.shape[-1]), dtype=img.dtype)
    flat = img.reshape(N, G, Cg, H * W)
    y0, x0 = torch.floor(y), torch.floor(x)
    ly, lx = y - y0, x - x0
    out = 0
    for r, ay in ((y0, 1 - ly), (y0 + 1, ly)):
        for s, ax in ((x0, 1 - lx), (x0 + 1, lx)):
            inside = (r >= 0) & (r < H) & (s >= 0) & (s < W)
            idx = (r.clamp(0, H - 1) * W + s.clamp(0, W - 1)).long()
            v = torch.gather(flat, 3, idx[:, :, None, :].expand(N, G, Cg, idx.shape[-1]))
            # where, not a product with inside: a NaN or infinite pixel outside reads zero
            v = torch.where(inside[:, :, None, :], v, torch.zeros((), dtype=v.dtype))
            out = out + (ay * ax)[:, :, None, :] * v
    return out


@ref("deform_conv2d")
def deform_conv2d(input, offset, weight, bias=None, mask=None, stride=1, padding=0, dilation=1):
    N, C, H, W = input.shape
    K, Cg, R, S = weight.shape
    G, P, Q = C // Cg, offset.shape[2], offset.shape[3]
    G_off = offset.shape[1] // (2 * R * S)
    (sh, sw), (dh, dw) = pair(stride), pair(dilation)
    (ph, _), (pw, _) = pads2d(padding, (R, S), dilation)
    ii = torch.arange(R, dtype=input.dtype)[:, None, None, None]
    jj = torch.arange(S, dtype=input.dtype)[None, :, None, None]
    pp = torch.arange(P, dtype=input.dtype)[None, None, :, None]
    qq = torch.arange(Q, dtype=input.dtype)[None, None, None, :]
    off = offset.reshape(N, G_off, R, S, 2, P, Q)
    y = (pp * sh - ph + ii * dh) + off[:, :, :, :, 0]           # (N, G_off, R, S, P, Q)
    x = (qq * sw - pw + jj * dw) + off[:, :, :, :, 1]
    img = input.reshape(N, G_off, C // G_off, H, W)
    T = R * S * P * Q
    cols = _sample(img, y.reshape(N, G_off, T), x.reshape(N, G_off, T))
    cols = cols.reshape(N, G_off, C // G_off, R, S, P, Q)
    if mask is not None:
        cols = cols * mask.reshape(N, G_off, 1, R, S, P, Q)
    cols = cols.reshape(N, G, Cg, R, S, P, Q)
    out = torch.einsum("ngcrspq,gkcrs->ngkpq", cols, weight.reshape(G, K // G, Cg, R, S))
    out = out.reshape(N, K, P, Q)
    return out if bias is None else out + bias[:, None, None]
