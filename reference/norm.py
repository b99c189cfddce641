"""References for the normalisation ops: torch.nn.functional itself (torch._weight_norm for
weight_norm).  group_norm and layer_norm take their shape parameter by keyword here, after
the arrays, as the registry-wide tests call every op."""
import torch
import torch.nn.functional as F

from reference import ref


@ref("batch_norm")
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    # torch's forward takes a weight or bias of any shape holding C values, but its backward
    # fails unless they are 1-D: flattened here, the same function with autograd intact
    flat = [None if t is None else t.reshape(-1) for t in (weight, bias)]
    return F.batch_norm(input, running_mean, running_var, *flat, training, momentum, eps)


@ref("instance_norm")
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


@ref("group_norm")
def group_norm(input, weight=None, bias=None, *, num_groups, eps=1e-5):
    if weight is None and bias is not None:
        # torch 2.13's group_norm backward fails ("tensor does not have a device") with a
        # bias but no weight; a constant weight of ones is the same function of input/bias.
        weight = torch.ones(input.shape[1], dtype=input.dtype)
    return F.group_norm(input, num_groups, weight, bias, eps)


@ref("layer_norm")
def layer_norm(input, weight=None, bias=None, *, normalized_shape, eps=1e-5):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    return F.layer_norm(input, ns, weight, bias, eps)


@ref("layer_norm2d")
def layer_norm2d(input, weight=None, bias=None, eps=1e-6):
    """torchvision.ops.misc.LayerNorm2d.forward: NHWC, layer norm over C, back to NCHW."""
    x = input.permute(0, 2, 3, 1)
    return F.layer_norm(x, (input.shape[1],), weight, bias, eps).permute(0, 3, 1, 2)


@ref("local_response_norm")
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    return F.local_response_norm(input, size, alpha, beta, k)


@ref("weight_norm")
def weight_norm(v, g, dim=0):
    return torch._weight_norm(v, g, -1 if dim is None else dim)
