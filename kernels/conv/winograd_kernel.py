"""The fused Winograd kernel: input transform, batched multiply and output transform per
block of tiles, so the transformed tiles never leave the core's cache.

Lavin & Gray (2016) write one layer as M[t] = U[t] (K, C) @ V[t] (C, tiles) for each of
the T = n^2 tile positions t, between the input transform V = B^T d B and the output
transform Y = A^T M A.  Done as three passes over the whole layer, V and M (each T/m^2 =
2.25x the size of the input for F(4x4, 3x3)) stream through memory twice and the T
products are small GEMMs.  Here the output tiles are cut into blocks of BT, and each
parallel task does, for its block:

1. input transform: for every channel, gathers the BT tiles' n x n inputs (zero outside
   the padded image) into D (n^2, BT), and writes Vb[t, c, :] = (B^T d B)[t] for all BT
   tiles at once: vector loops over the tiles, zero entries of B^T skipped;
2. multiply, per group and block of VW output channels: Mb[t, j, :] = sum_c Vb[t, c, j]
   * U[t, c, kb*VW:(kb+1)*VW], register-blocked as the direct kernel is (OB tiles x VW
   channels accumulated in a stack tile by ``fma_rows``: one vector load of U, OB
   broadcasts of V and OB vector FMAs per input channel);
3. output transform of those VW channels, again vector loops (over the channels now),
   plus bias, scattered into y and cropped where a tile overhangs.

Vb is T*C*BT values (221 KB for F(4x4) at 64 float32 channels): it stays in L2 while
every channel block reads it.  U, packed as (T, G, KB, C/G, VW), is read once per block
from L2/L3; BT tiles per load keep that compute-bound.  Each task reads the cycle counter
between its phases, so the fused call can still report the split of its time.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import carray, njit, prange, types
from numba.extending import intrinsic, overload
from numba.np.numpy_support import as_dtype

from kernels._numba_util import BOUNDSCHECK, check_contiguous, check_index, cycles, fma_rows, stack_empty, store_rows
from kernels.conv.winograd_transforms import matrices

OB = 6             # tiles per micro-tile
VW = 16            # output channels per block: two AVX2 vectors of float32
TILE = OB * VW
BT = 4 * OB        # tiles per block
R = 3              # kernel taps


def _constant_matrix(m, which):
    """B^T (which 0), A^T (1) or G (2) of F(m, 3) in float64; the 1 x 1 identity for
    m = 1 (the height of a conv1d)."""
    if m == 1:
        return np.ones((1, 1))
    AT, Gm, BTm = matrices(m, R, np.float64)
    return (BTm, AT, Gm)[which]


@intrinsic
def ltransform_raw(typingctx, dst, doff, dstep, src, soff, sstep, tag, which, width):
    """dst[doff + k*dstep : +width] = sum_i Mat[k, i] * src[soff + i*sstep : +width] for
    Mat = B^T (which = 0), A^T (1) or G (2) of F(m, 3), m = len(tag) (a tuple, so m is
    known when compiling).  The coefficients are compile-time constants: zero terms
    vanish, +-1 terms are additions, and the inputs and outputs stay in registers (a
    loop over runtime coefficients would go through memory for every term).  1-D
    contiguous arrays; width a compile-time constant; no bounds checks."""
    if not (isinstance(tag, types.UniTuple) or isinstance(tag, types.Tuple)):
        return None
    if not (isinstance(which, types.IntegerLiteral) and isinstance(width, types.IntegerLiteral)):
        return None
    mat = _constant_matrix(len(tag), which.literal_value)
    V = width.literal_value
    sig = types.void(dst, doff, dstep, src, soff, sstep, tag, which, width)

    def codegen(context, builder, sig, args):
        da, doff, dstep, sa, soff, sstep = args[:6]
        T = context.get_value_type(sig.args[0].dtype)
        vec = ir.VectorType(T, V)
        align = context.get_abi_sizeof(T)
        dd = context.make_array(sig.args[0])(context, builder, da).data
        sd = context.make_array(sig.args[3])(context, builder, sa).data

        def ptr(data, off, step, i):
            idx = builder.add(off, builder.mul(step, ir.Constant(step.type, i)))
            return builder.bitcast(builder.gep(data, [idx]), vec.as_pointer())

        ins = [builder.load(ptr(sd, soff, sstep, i), align=align) for i in range(mat.shape[1])]
        for k, row in enumerate(mat):
            acc = None
            for i, coef in enumerate(row):
                if coef == 0:
                    continue
                term = ins[i] if abs(coef) == 1 else builder.fmul(
                    ins[i], ir.Constant(vec, [ir.Constant(T, abs(float(coef)))] * V))
                if acc is None:
                    acc = term if coef > 0 else builder.fsub(ir.Constant(vec, [ir.Constant(T, 0.0)] * V), term)
                else:
                    acc = builder.fadd(acc, term) if coef > 0 else builder.fsub(acc, term)
            if acc is None:
                acc = ir.Constant(vec, [ir.Constant(T, 0.0)] * V)
            builder.store(acc, ptr(dd, doff, dstep, k), align=align)
        return context.get_dummy_value()
    return sig, codegen


def ltransform_checked(dst, doff, dstep, src, soff, sstep, tag, which, width):
    """``ltransform`` with plain, checked indexing and the same arithmetic (terms in the
    same order, coefficients rounded to the data's type): what NUMBA_BOUNDSCHECK=1 runs
    (see ``kernels._numba_util``).  Callable from jitted code only."""
    raise TypeError("ltransform_checked runs in jitted code only")


@overload(ltransform_checked, prefer_literal=True, jit_options={"fastmath": False})
def _ltransform_checked(dst, doff, dstep, src, soff, sstep, tag, which, width):
    if not (isinstance(which, types.IntegerLiteral) and isinstance(width, types.IntegerLiteral)):
        return None
    mat = _constant_matrix(len(tag), which.literal_value)
    dt = as_dtype(dst.dtype)
    coef, sign, zero = np.abs(mat).astype(dt), np.sign(mat).astype(np.int64), np.zeros(1, dt)
    unit = np.abs(mat) == 1  # a term without a multiply
    V, KO, KI = width.literal_value, mat.shape[0], mat.shape[1]

    def impl(dst, doff, dstep, src, soff, sstep, tag, which, width):
        check_contiguous(dst)
        check_contiguous(src)
        for k in range(KO):
            for v in range(V):
                acc, first = zero[0], True
                for i in range(KI):
                    if sign[k, i] == 0:
                        continue
                    x = src[check_index(soff + i * sstep + v, src.size)]
                    term = x if unit[k, i] else x * coef[k, i]
                    if first:
                        acc, first = (term if sign[k, i] > 0 else zero[0] - term), False
                    else:
                        acc = acc + term if sign[k, i] > 0 else acc - term
                dst[check_index(doff + k * dstep + v, dst.size)] = acc
    return impl


ltransform = ltransform_checked if BOUNDSCHECK else ltransform_raw


@njit(inline="always")
def _tile_inputs(m):
    """n, the inputs per tile dimension for m outputs: m + R - 1, or 1 for a conv1d's
    height (m = 1, identity transform)."""
    return 1 if m == 1 else m + R - 1


@njit(cache=True)
def _block_tiles(blk, ntiles, th, tw, mh, mw, pad_top, pad_left, img, row0, col0):
    """The image, top row and left column (in the unpadded input) of the block's tiles;
    returns how many of the BT lanes hold a tile."""
    nvalid = min(BT, ntiles - blk * BT)
    for j in range(nvalid):
        p = blk * BT + j
        tx, ty, n = p % tw, (p // tw) % th, p // (tw * th)
        img[j], row0[j], col0[j] = n, ty * mh - pad_top, tx * mw - pad_left
    return nvalid


@njit(cache=True)
def _input_block(xf, H, W, CHW, plane, nvalid, img, row0, col0, D, tmp, Vb, vc, TCB,
                 hm, wm):
    """Vb[t, c, :] (at vc + t * TCB) = (B^T d B)[t] for the block's tiles d of channel c
    (plane: the offset of channel c of image 0 in the flat input; hm, wm: tuples whose
    lengths are the tile's output height and width).  Flat indexing: Numba's
    negative-index handling of computed indices would stop LLVM vectorising."""
    nh, nw = _tile_inputs(len(hm)), _tile_inputs(len(wm))
    for j in range(nvalid):
        r0, c0 = row0[j], col0[j]
        base = plane + img[j] * CHW
        if r0 >= 0 and c0 >= 0 and r0 + nh <= H and c0 + nw <= W:
            for i in range(nh):
                src = base + (r0 + i) * W + c0
                for q in range(nw):
                    D[(i * nw + q) * BT + j] = xf[src + q]
        else:
            for i in range(nh):
                for q in range(nw):
                    r, s = r0 + i, c0 + q
                    inside = 0 <= r < H and 0 <= s < W
                    D[(i * nw + q) * BT + j] = xf[base + r * W + s] if inside else 0
    for t in range(nh * nw):
        for j in range(nvalid, BT):
            D[t * BT + j] = 0
    for q in range(nw):                           # tmp = B^T d, all BT tiles at once
        ltransform(tmp, q * BT, nw * BT, D, q * BT, nw * BT, hm, 0, BT)
    for k in range(nh):                           # V = (B^T d) B
        ltransform(Vb, vc + k * nw * TCB, TCB, tmp, k * nw * BT, BT, wm, 0, BT)


@njit(cache=True, fastmath={"contract"})
def _multiply_block(Vb, Uf, g, kb, G, KB, Cg, C, T, nvalid, Mb):
    """Mb[t, j, :] = sum_c Vb[t, g*Cg + c, j] * U[t, g, kb, c, :] for the valid tiles j."""
    accp = stack_empty(TILE, Vb.dtype)
    acc = carray(accp, TILE)
    for t in range(T):
        ubase = ((t * G + g) * KB + kb) * Cg * VW
        vbase = (t * C + g * Cg) * BT
        for j0 in range(0, nvalid, OB):
            for e in range(TILE):
                acc[e] = 0
            for c in range(Cg):
                fma_rows(accp, OB, Vb, vbase + c * BT + j0, 1, Uf, ubase + c * VW, VW)
            store_rows(accp, OB, Mb, (t * BT + j0) * VW, VW, VW)


@njit(cache=True)
def _output_block(Mb, yf, K, P, Q, k0, kcount, bias, boff, nvalid, img, row0, col0,
                  pad_top, pad_left, tmp, Yt, hm, wm):
    """y[n, k0:k0 + kcount, tile] = (A^T M A) + bias for the block's tiles, cropped
    (VW channels at once; flat indexing and tags as in ``_input_block``)."""
    mh, mw = len(hm), len(wm)
    nw = _tile_inputs(mw)
    for j in range(nvalid):
        for q in range(nw):                       # tmp = A^T M
            ltransform(tmp, q * VW, nw * VW, Mb, (q * BT + j) * VW, nw * BT * VW, hm, 1, VW)
        for a in range(mh):                       # Y = (A^T M) A
            ltransform(Yt, a * mw * VW, VW, tmp, a * nw * VW, VW, wm, 1, VW)
        oy, ox = row0[j] + pad_top, col0[j] + pad_left
        base = (img[j] * K + k0) * P * Q + oy * Q + ox
        for a in range(min(mh, P - oy)):
            for b in range(min(mw, Q - ox)):
                for v in range(kcount):
                    yf[base + v * P * Q + a * Q + b] = Yt[(a * mw + b) * VW + v] + bias[boff + v]


@njit(parallel=True, cache=True, fastmath={"contract"})
def fused(x, Ub, biasb, hm, wm, pad_top, pad_left, th, tw, y, cyc, nthreads):
    """y (N, K, P, Q) = Winograd correlation of x (N, C, H, W) with the transformed,
    packed kernel Ub (T, G, KB, C/G, VW), plus biasb (G, KB*VW); tiles of mh x mw
    outputs on a th x tw grid.  cyc (3,) receives the cycles spent in the input
    transform, the multiply and the output transform, summed over tasks."""
    N, C, H, W = x.shape
    P, Q = y.shape[2], y.shape[3]
    T, G, KB, Cg = Ub.shape[0], Ub.shape[1], Ub.shape[2], Ub.shape[3]
    K = y.shape[1]
    Kg = K // G
    mh, mw = len(hm), len(wm)
    nh, nw = _tile_inputs(mh), _tile_inputs(mw)
    Uf, xf, yf, bf = Ub.ravel(), x.ravel(), y.ravel(), biasb.ravel()
    ntiles = N * th * tw
    nblocks = (ntiles + BT - 1) // BT
    nkb = G * KB
    # few tile blocks (small images, many channels): split each block's channel blocks
    # between tasks too, recomputing its input transform, so every thread has work
    kparts = min(nkb, max(1, -(-2 * nthreads // nblocks)))
    items = nblocks * kparts
    nchunks = min(items, 4 * nthreads)
    spent = np.zeros((nchunks, 3), np.int64)
    for chunk in prange(nchunks):
        Vb = np.empty(T * C * BT, x.dtype)
        Mb = np.empty(T * BT * VW, x.dtype)
        D = np.empty(T * BT, x.dtype)
        tmp = np.empty(nh * nw * BT, x.dtype)
        tmpo = np.empty(mh * nw * VW, x.dtype)
        Yt = np.empty(mh * mw * VW, x.dtype)
        img = np.empty(BT, np.int64)
        row0 = np.empty(BT, np.int64)
        col0 = np.empty(BT, np.int64)
        done, nvalid = -1, 0                      # the block whose tiles and Vb are in hand
        for item in range(chunk * items // nchunks, (chunk + 1) * items // nchunks):
            blk, part = item // kparts, item % kparts
            t0 = cycles()
            if blk != done:
                nvalid = _block_tiles(blk, ntiles, th, tw, mh, mw, pad_top, pad_left, img, row0,
                                      col0)
                for c in range(C):
                    _input_block(xf, H, W, C * H * W, c * H * W, nvalid, img, row0, col0,
                                 D, tmp, Vb, c * BT, C * BT, hm, wm)
                done = blk
            spent[chunk, 0] += cycles() - t0
            for gkb in range(part * nkb // kparts, (part + 1) * nkb // kparts):
                g, kb = gkb // KB, gkb % KB
                t1 = cycles()
                _multiply_block(Vb, Uf, g, kb, G, KB, Cg, C, T, nvalid, Mb)
                t2 = cycles()
                _output_block(Mb, yf, K, P, Q, g * Kg + kb * VW, min(VW, Kg - kb * VW), bf,
                              gkb * VW, nvalid, img, row0, col0, pad_top, pad_left, tmpo, Yt,
                              hm, wm)
                spent[chunk, 1] += t2 - t1
                spent[chunk, 2] += cycles() - t2
    for i in range(3):
        cyc[i] = spent[:, i].sum()


@njit(parallel=True, cache=True)
def transform_kernel(w, G, Ub, hm, wm, nthreads):
    """Ub[(a, b), g, kb, c, :] = (G g G^T)[a, b] for the VW kernels g = w[g*K/G + kb*VW
    + v, c] (w: (K, C/G, R, S); zero kernels pad the last channel block), VW kernels at
    once with ``ltransform``.  In Numba rather than one BLAS call: BLAS threads left
    spinning would steal the cores from the fused kernel that runs next."""
    K, Cg, Rh, Rw = w.shape
    T, KB = Ub.shape[0], Ub.shape[2]
    nh = _tile_inputs(len(hm))
    Kg = K // G
    Uf, tstride = Ub.ravel(), G * KB * Cg * VW
    items = G * KB * Cg
    nchunks = min(items, 4 * nthreads)
    for chunk in prange(nchunks):
        gl = np.empty(Rh * Rw * VW, w.dtype)
        tmp = np.empty(nh * Rw * VW, w.dtype)
        for item in range(chunk * items // nchunks, (chunk + 1) * items // nchunks):
            c, gkb = item % Cg, item // Cg
            g, kb = gkb // KB, gkb % KB
            k0, count = g * Kg + kb * VW, min(VW, Kg - kb * VW)
            if count < VW:
                gl[:] = 0
            for v in range(count):
                for i in range(Rh):
                    for j in range(Rw):
                        gl[(i * Rw + j) * VW + v] = w[k0 + v, c, i, j]
            for j in range(Rw):                   # tmp = G g
                ltransform(tmp, j * VW, Rw * VW, gl, j * VW, Rw * VW, hm, 2, VW)
            for a in range(nh):                   # U = (G g) G^T
                ltransform(Uf, (gkb * Cg + c) * VW + a * (T // nh) * tstride, tstride,
                           tmp, a * Rw * VW, VW, wm, 2, VW)


def pack_bias(b, G, K, dtype):
    Kg = K // G
    KB = -(-Kg // VW)
    bb = np.zeros((G, KB * VW), dtype)
    if b is not None:
        bb[:, :Kg] = np.asarray(b, dtype).reshape(G, Kg)
    return bb
