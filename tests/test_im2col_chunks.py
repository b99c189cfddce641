"""The im2col algorithms' patch matrix in chunks: forced onto the small registry cases with
tiny budgets (one output row per chunk, several images per chunk), and the chunk plan."""
import numpy as np
import pytest

import kernels
from kernels._registry import core
from kernels.conv import im2col
from tests.cases import load
from tests.helpers import check_op

OPS = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
       "unshared_conv2d", "depthwise_conv2d", "separable_conv2d", "coord_conv2d")
CASES = [(op, c) for op in OPS for c in load()[op]
         if "im2col" in kernels.OPS[op].algos() and "im2col" not in c.exclude
         and kernels.OPS[op].supports("im2col", **kernels.OPS[op].named(c.shapes), **c.params)]


@pytest.mark.parametrize("budget", [1, 3000], ids=["row-chunks", "image-chunks"])
@pytest.mark.parametrize("dtype", (np.float32, np.float64))
@pytest.mark.parametrize("op_name,case", CASES, ids=[f"{o}-{c.id}" for o, c in CASES])
def test_chunked_im2col_matches_torch(monkeypatch, budget, op_name, case, dtype):
    monkeypatch.setattr(im2col, "CHUNK_BYTES", budget)
    check_op(op_name, "im2col", case, dtype)


def _plan(N, C, size, kernel, **params):
    return core(kernels.conv2d.plan_for(((N, C, *size), (C, C, *kernel), None), np.float32, params))


def test_chunks_cover_every_image_and_row_once(monkeypatch):
    monkeypatch.setattr(im2col, "CHUNK_BYTES", 4 * 2 * 9 * 7 * 2)  # two rows of one image
    p = _plan(3, 2, (7, 7), (3, 3), padding=(0, 1))  # out (5, 7)
    chunks = list(im2col.chunks(p, 4))
    assert chunks == [(n, n + 1, o, min(o + 2, 5)) for n in range(3) for o in (0, 2, 4)]
    monkeypatch.setattr(im2col, "CHUNK_BYTES", 4 * 2 * 9 * 35 * 2)  # two whole images
    assert list(im2col.chunks(p, 4)) == [(0, 2, 0, 5), (2, 3, 0, 5)]


def test_a_small_layer_is_one_chunk():
    p = _plan(8, 16, (32, 32), (3, 3), padding=1)
    assert list(im2col.chunks(p, 4)) == [(0, 8, 0, 32)]


def test_chunks_of_the_big_layer_stay_within_the_budget():
    """The (32, 256, 56, 56) 3x3 layer: 925 MB as one patch matrix, 29 MB per image."""
    p = _plan(32, 256, (56, 56), (3, 3), padding=1)
    assert im2col.patch_elements(p) * 4 > 900e6
    assert im2col.chunk_elements(p) * 4 <= im2col.CHUNK_BYTES
    assert im2col.chunk_shape(p, 4) == (1, 56)


DEFORM = [c for c in load()["deform_conv2d"] if "im2col" not in c.exclude and c.shapes[0][0] > 1
          and kernels.deform_conv2d.supports("im2col", **kernels.deform_conv2d.named(c.shapes), **c.params)]


@pytest.mark.parametrize("dtype", (np.float32, np.float64))
@pytest.mark.parametrize("case", DEFORM, ids=[c.id for c in DEFORM])
def test_deform_im2col_one_image_per_chunk_matches_torch(monkeypatch, case, dtype):
    from kernels.deform import im2col as deform_im2col
    monkeypatch.setattr(deform_im2col, "CHUNK_SAMPLES", 1)
    check_op("deform_conv2d", "im2col", case, dtype)


def test_deform_chunks_are_runs_of_whole_images(monkeypatch):
    from kernels.deform import im2col as deform_im2col
    p = core(kernels.deform_conv2d.plan_for(((5, 2, 6, 6), (5, 18, 4, 4), (3, 2, 3, 3), None, None),
                                             np.float32, {}))
    per_image = 2 * 9 * 16
    monkeypatch.setattr(deform_im2col, "CHUNK_SAMPLES", 2 * per_image + 1)
    assert [(n0, n1, q.N) for n0, n1, q in deform_im2col.chunks(p)] == [(0, 2, 2), (2, 4, 2), (4, 5, 1)]
    monkeypatch.setattr(deform_im2col, "CHUNK_SAMPLES", 2 ** 21)
    assert [(n0, n1) for n0, n1, _ in deform_im2col.chunks(p)] == [(0, 5)]
