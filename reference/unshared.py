"""Reference for unshared_conv2d from torch primitives: unfold, then one einsum over positions."""
import torch
import torch.nn.functional as F

from reference import ref
from reference.pads import batch_of_one, pads2d


@ref("unshared_conv2d")
@batch_of_one
def unshared_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    P, Q, K, C, R, S = weight.shape
    (top, bottom), (left, right) = pads2d(padding, (R, S), dilation)
    x = F.pad(input, (left, right, top, bottom))
    cols = F.unfold(x, (R, S), dilation=dilation, stride=stride)  # (N, C*R*S, P*Q)
    y = torch.einsum("njl,lkj->nkl", cols, weight.reshape(P * Q, K, C * R * S))
    y = y.reshape(input.shape[0], K, P, Q)
    return y if bias is None else y + bias
