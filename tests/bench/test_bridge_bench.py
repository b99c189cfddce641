"""pytest-benchmark: the Python overhead of one kernels.torch call, on relu of 8 elements
(the kernel's own time is negligible), beside the NumPy op and torch in one run.

    pytest tests/bench/test_bridge_bench.py --benchmark-enable --benchmark-group-by=param:what

With the benchmark disabled (the default), each runs once as a smoke test."""
import numpy as np
import pytest
import torch

import kernels
import kernels.torch as kt

WAYS = {
    "kernels.relu": lambda a, t: kernels.relu(a, algo="numpy"),
    "kernels.torch.relu": lambda a, t: kt.relu(t, algo="numpy"),
    "torch.relu": lambda a, t: torch.relu(t),
}


@pytest.mark.parametrize("way", list(WAYS))
@pytest.mark.parametrize("what", ["forward", "forward+backward"])
def test_relu_call_overhead(benchmark, way, what):
    a = np.linspace(-1, 1, 8)
    t = torch.from_numpy(a.copy())
    fn = WAYS[way]
    if what == "forward":
        out = benchmark(fn, a, t)
        assert np.array_equal(np.asarray(out), np.maximum(a, 0))
        return
    if way == "kernels.relu":
        gy = np.ones(8)
        grads = benchmark(lambda: kernels.relu.backward(gy, a, algo="numpy"))
        assert np.array_equal(grads[0], (a > 0).astype(float))
        return
    tg = t.clone().requires_grad_()
    ones = torch.ones(8, dtype=torch.float64)

    def step():
        tg.grad = None
        fn(a, tg).backward(ones)
        return tg.grad
    assert torch.equal(benchmark(step), (t > 0).double())
