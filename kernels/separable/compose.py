"""The two-step composition every non-fused separable algorithm shares: depthwise, then
pointwise, each with the conv family's kernels of one algorithm; the backward runs the
chain rule through the same two steps (it needs the depthwise output for grad_pointwise)."""


def forward(step, x, wd, wp, b, p):
    mid = step.forward(x, wd, None, p.depthwise)
    return step.forward(mid, wp, b, p.pointwise)


def backward(step, gy, x, wd, wp, b, p):
    mid = step.forward(x, wd, None, p.depthwise)
    gmid, gwp, gb = step.backward(gy, mid, wp, b, p.pointwise)
    gx, gwd, _ = step.backward(gmid, x, wd, None, p.depthwise)
    return gx, gwd, gwp, gb


def declare(algorithm, step):
    """Declare the algorithm as this composition over ``step``, a conv family algorithm's
    module (its ``forward`` and ``backward``)."""
    @algorithm.forward
    def run_forward(x, wd, wp, b, p):
        return forward(step, x, wd, wp, b, p)

    @algorithm.backward
    def run_backward(gy, x, wd, wp, b, p):
        return backward(step, gy, x, wd, wp, b, p)
