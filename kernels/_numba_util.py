"""Numba helpers shared by the CPU kernels: a stack tile and explicit-SIMD FMA rows.

LLVM's auto-vectoriser does not reliably keep a register-blocked accumulator tile in
registers (it spills it, or vectorises the wrong loop), so the micro-kernels say what they
mean: ``fma_rows`` emits, for each of ``rows`` accumulator rows, one broadcast of an input
scalar times a ``width``-wide vector of weights, as an ``llvm.fma`` on LLVM vector types.
The backend splits <16 x float> into two AVX2 registers; SROA keeps the stack tile in
registers across the reduction loop.  ``fma_scalar_rows`` is the stencil's transpose (one
scalar weight times ``rows`` shifted input rows), ``store_rows`` writes such a tile back,
and ``deinterleave_vec`` splits even and odd elements with one load and two shuffles;
``cycles`` reads the cycle counter.

Bounds checking.  These helpers load and store through raw pointers, out of sight of
Numba's bounds checker.  Each has a checked twin (``fma_rows_checked``...) written with
plain indexing, the same arithmetic (one rounding per ``fma``), and an explicit check of
every index (Numba wraps negative indices instead of refusing them).  Under
``NUMBA_BOUNDSCHECK=1`` (read from ``numba.config`` when this module is imported) the
public names are the checked twins, so a bounds-checked run checks every access the
kernels make; the raw intrinsics stay available as ``fma_rows_raw``...  (The Winograd
kernel's ``ltransform`` does the same in ``kernels.conv.winograd_kernel``.)  The accumulator
tile itself is a stack pointer whose size only the caller knows (``stack_empty(TILE)``):
the twins view it as ``rows * width`` elements, and the callers view it through
``carray`` of the same constant, which the bounds checker does see.

A Numba cache compiled without bounds checking would be reused silently under
``NUMBA_BOUNDSCHECK=1``, so importing this module then points ``numba.config.CACHE_DIR``
at a directory that only bounds-checked runs use: ``$NUMBA_CACHE_DIR/boundscheck``, or
``$CONVBENCH_CACHE_DIR/numba-boundscheck`` (default ``~/.cache/convbench``) when
NUMBA_CACHE_DIR is unset, or a new temporary directory when that is not writable.
``kernels/__init__`` imports this module before any other, so that every kernel is
compiled (and cached) after the switch.
"""
import os
import tempfile

from llvmlite import ir
from numba import carray, njit, types
from numba.core import cgutils, config
from numba.extending import intrinsic

# The CPU kernels' fastmath flags: 'contract' lets LLVM fuse a*b+c into an FMA and
# 'reassoc' lets it vectorise reductions; both are within the numba tolerances.
FASTMATH = {"contract", "reassoc"}

BOUNDSCHECK = bool(config.BOUNDSCHECK)  # NUMBA_BOUNDSCHECK=1: every array access checked


def boundscheck_cache_dir() -> str:
    """Where bounds-checked code is cached: apart from the unchecked cache (see above)."""
    if config.CACHE_DIR:
        return os.path.join(config.CACHE_DIR, "boundscheck")
    root = os.environ.get("CONVBENCH_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "convbench")
    return os.path.join(root, "numba-boundscheck")


def _separate_boundscheck_cache() -> None:
    path = boundscheck_cache_dir()
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:  # Numba would fall back to the unchecked __pycache__: never
        path = tempfile.mkdtemp(prefix="convbench-numba-boundscheck-")
    config.CACHE_DIR = path


if BOUNDSCHECK:
    _separate_boundscheck_cache()


@intrinsic
def stack_empty(typingctx, size, dtype):
    """A pointer to ``size`` (a compile-time constant) uninitialised elements on the stack.

    Wrapped with ``numba.carray`` it is a small scratch array; unlike np.empty (heap, opaque
    to LLVM) it can live in registers.
    """
    if not isinstance(size, types.IntegerLiteral):
        return None
    n = size.literal_value
    elem = dtype.dtype if isinstance(dtype, types.DType) else dtype.instance_type

    def codegen(context, builder, signature, args):
        ty = context.get_value_type(elem)
        return cgutils.alloca_once(builder, ty, size=context.get_constant(types.intp, n))

    return types.CPointer(elem)(size, dtype), codegen


def _splat(builder, vec, value):
    """A vector of type vec with every lane = value (insert into lane 0, then shuffle)."""
    i32 = ir.IntType(32)
    one = builder.insert_element(ir.Constant(vec, ir.Undefined), value, ir.Constant(i32, 0))
    return builder.shuffle_vector(one, ir.Constant(vec, ir.Undefined),
                                  ir.Constant(ir.VectorType(i32, vec.count), [0] * vec.count))


def _fma(builder, vec):
    """The llvm.fma intrinsic on vector type vec (float or double lanes)."""
    kind = 'f32' if vec.element == ir.FloatType() else 'f64'
    return cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(vec, [vec] * 3), f"llvm.fma.v{vec.count}{kind}")


def _fma_rows_codegen(rows, width, gather):
    def codegen(context, builder, sig, args):
        accp, _, xa, xoff, xstep, wa, woff, _ = args
        T = context.get_value_type(sig.args[2].dtype)
        vec = ir.VectorType(T, width)
        fma = _fma(builder, vec)
        xd = context.make_array(sig.args[2])(context, builder, xa).data
        wd = context.make_array(sig.args[5])(context, builder, wa).data
        align = context.get_abi_sizeof(T)
        wv = builder.load(builder.bitcast(builder.gep(wd, [woff]), vec.as_pointer()), align=align)
        for j in range(rows):
            if gather:  # xstep points at `rows` int64 offsets
                step = builder.load(builder.gep(xstep, [ir.Constant(ir.IntType(64), j)]))
            else:
                step = builder.mul(xstep, ir.Constant(xstep.type, j))
            xv = builder.load(builder.gep(xd, [builder.add(xoff, step)]))
            xb = _splat(builder, vec, xv)
            ap = builder.bitcast(builder.gep(accp, [ir.Constant(ir.IntType(64), j * width)]),
                                 vec.as_pointer())
            builder.store(builder.call(fma, [xb, wv, builder.load(ap, align=align)]), ap, align=align)
        return context.get_dummy_value()
    return codegen


@intrinsic
def fma_rows_raw(typingctx, acc, rows, x, xoff, xstep, w, woff, width):
    """acc[j, :] += x[xoff + j * xstep] * w[woff:woff + width] for j < rows.

    acc: stack pointer to rows*width elements; x, w: 1-D contiguous arrays; rows and
    width compile-time constants.  No bounds checks: callers index in bounds.
    """
    if not (isinstance(rows, types.IntegerLiteral) and isinstance(width, types.IntegerLiteral)):
        return None
    sig = types.void(acc, rows, x, xoff, xstep, w, woff, width)
    return sig, _fma_rows_codegen(rows.literal_value, width.literal_value, gather=False)


@intrinsic
def fma_rows_gather_raw(typingctx, acc, rows, x, xoff, offsets, w, woff, width):
    """acc[j, :] += x[xoff + offsets[j]] * w[woff:woff + width] for j < rows
    (offsets: stack pointer to rows int64)."""
    if not (isinstance(rows, types.IntegerLiteral) and isinstance(width, types.IntegerLiteral)):
        return None
    sig = types.void(acc, rows, x, xoff, offsets, w, woff, width)
    return sig, _fma_rows_codegen(rows.literal_value, width.literal_value, gather=True)


def _row_ptr(builder, data, off, step, j, vec):
    idx = builder.add(off, builder.mul(step, ir.Constant(step.type, j)))
    return builder.bitcast(builder.gep(data, [idx]), vec.as_pointer())


@intrinsic
def fma_scalar_rows_raw(typingctx, acc, rows, a, x, xoff, xstep, width):
    """acc[j, :] += a * x[xoff + j * xstep:xoff + j * xstep + width] for j < rows.

    The transpose of ``fma_rows``' roles: one scalar (a stencil weight) times ``rows``
    vectors read at a row pitch (shifted input rows).  acc: stack pointer to rows*width
    elements; x: 1-D contiguous array; rows and width compile-time constants.  No bounds
    checks: callers index in bounds.
    """
    if not (isinstance(rows, types.IntegerLiteral) and isinstance(width, types.IntegerLiteral)):
        return None
    R, V = rows.literal_value, width.literal_value
    sig = types.void(acc, rows, a, x, xoff, xstep, width)

    def codegen(context, builder, sig, args):
        accp, _, av, xa, xoff, xstep, _ = args
        T = context.get_value_type(sig.args[3].dtype)
        vec = ir.VectorType(T, V)
        av = context.cast(builder, av, sig.args[2], sig.args[3].dtype)
        fma = _fma(builder, vec)
        xd = context.make_array(sig.args[3])(context, builder, xa).data
        align = context.get_abi_sizeof(T)
        ab = _splat(builder, vec, av)
        for j in range(R):
            xv = builder.load(_row_ptr(builder, xd, xoff, xstep, j, vec), align=align)
            ap = builder.bitcast(builder.gep(accp, [ir.Constant(ir.IntType(64), j * V)]),
                                 vec.as_pointer())
            acc_v = builder.load(ap, align=align)
            builder.store(builder.call(fma, [ab, xv, acc_v]), ap, align=align)
        return context.get_dummy_value()
    return sig, codegen


@intrinsic
def store_rows_raw(typingctx, acc, rows, y, yoff, ystep, width):
    """y[yoff + j * ystep:yoff + j * ystep + width] = acc[j, :] for j < rows, as vector
    stores (acc: stack pointer to rows*width elements; y: 1-D contiguous; no bounds checks)."""
    if not (isinstance(rows, types.IntegerLiteral) and isinstance(width, types.IntegerLiteral)):
        return None
    R, V = rows.literal_value, width.literal_value
    sig = types.void(acc, rows, y, yoff, ystep, width)

    def codegen(context, builder, sig, args):
        accp, _, ya, yoff, ystep, _ = args
        T = context.get_value_type(sig.args[2].dtype)
        vec = ir.VectorType(T, V)
        yd = context.make_array(sig.args[2])(context, builder, ya).data
        align = context.get_abi_sizeof(T)
        for j in range(R):
            ap = builder.bitcast(builder.gep(accp, [ir.Constant(ir.IntType(64), j * V)]),
                                 vec.as_pointer())
            builder.store(builder.load(ap, align=align),
                          _row_ptr(builder, yd, yoff, ystep, j, vec), align=align)
        return context.get_dummy_value()
    return sig, codegen


@intrinsic
def deinterleave_vec_raw(typingctx, src, soff, even, eoff, odd, ooff, width):
    """even[eoff:eoff + width] = src[soff:soff + 2*width:2] and odd[...] = the elements
    between, as one vector load and two shuffles (1-D contiguous arrays, width a
    compile-time constant, no bounds checks)."""
    if not isinstance(width, types.IntegerLiteral):
        return None
    V = width.literal_value
    sig = types.void(src, soff, even, eoff, odd, ooff, width)

    def codegen(context, builder, sig, args):
        sa, soff, ea, eoff, oa, ooff, _ = args
        T = context.get_value_type(sig.args[0].dtype)
        align = context.get_abi_sizeof(T)
        wide, vec = ir.VectorType(T, 2 * V), ir.VectorType(T, V)
        data = [context.make_array(sig.args[i])(context, builder, a).data
                for i, a in ((0, sa), (2, ea), (4, oa))]
        src_p = builder.bitcast(builder.gep(data[0], [soff]), wide.as_pointer())
        v = builder.load(src_p, align=align)
        i32 = ir.IntType(32)
        for d, off, first in ((data[1], eoff, 0), (data[2], ooff, 1)):
            mask = ir.Constant(ir.VectorType(i32, V), [first + 2 * i for i in range(V)])
            half = builder.shuffle_vector(v, ir.Constant(wide, ir.Undefined), mask)
            dst_p = builder.bitcast(builder.gep(d, [off]), vec.as_pointer())
            builder.store(half, dst_p, align=align)
        return context.get_dummy_value()
    return sig, codegen


@intrinsic
def cycles(typingctx):
    """The CPU's cycle counter (``llvm.readcyclecounter``: RDTSC on x86), for splitting a
    fused kernel's time between its phases at a cost of a few dozen cycles per read."""
    sig = types.int64()

    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.IntType(64), []), "llvm.readcyclecounter")
        return builder.call(fn, [])
    return sig, codegen



@intrinsic
def address(typingctx, arr, off):
    """The byte address of arr[off] (1-D array), to find where aligned stores can start."""
    sig = types.int64(arr, off)

    def codegen(context, builder, sig, args):
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        return builder.ptrtoint(builder.gep(data, [args[1]]), ir.IntType(64))
    return sig, codegen


@intrinsic
def stream_affine_raw(typingctx, y, yoff, x, xoff, scale, shift, width):
    """y[yoff:yoff + width] = x[xoff:xoff + width] * scale + shift, stored non-temporally
    (MOVNTPS/MOVNTPD: the line goes to memory without first being read into the cache,
    one third less memory traffic for an output that will not be read back soon).
    y + yoff must be aligned to the vector's size (width * itemsize bytes; callers peel
    with ``address``); 1-D contiguous arrays; no bounds checks."""
    if not isinstance(width, types.IntegerLiteral):
        return None
    V = width.literal_value
    sig = types.void(y, yoff, x, xoff, scale, shift, width)

    def codegen(context, builder, sig, args):
        ya, yoff, xa, xoff, sc, sh, _ = args
        T = context.get_value_type(sig.args[0].dtype)
        vec = ir.VectorType(T, V)
        size = context.get_abi_sizeof(T)
        i32 = ir.IntType(32)

        def splat(v, ty):
            return _splat(builder, vec, context.cast(builder, v, ty, sig.args[0].dtype))

        xd = context.make_array(sig.args[2])(context, builder, xa).data
        yd = context.make_array(sig.args[0])(context, builder, ya).data
        xv = builder.load(builder.bitcast(builder.gep(xd, [xoff]), vec.as_pointer()), align=size)
        fma = _fma(builder, vec)
        r = builder.call(fma, [xv, splat(sc, sig.args[4]), splat(sh, sig.args[5])])
        st = builder.store(r, builder.bitcast(builder.gep(yd, [yoff]), vec.as_pointer()),
                           align=V * size)
        st.set_metadata("nontemporal", builder.module.add_metadata([ir.Constant(i32, 1)]))
        return context.get_dummy_value()
    return sig, codegen


# Checked twins of the raw-pointer helpers: the same arithmetic on plain indexing, every
# index checked (``check_index``) as well as seen by NUMBA_BOUNDSCHECK=1.

@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c rounded once (``llvm.fma``) in b's float type (a and c are cast to it):
    what one lane of the vector helpers computes."""
    if not isinstance(b, types.Float):
        return None
    sig = b(a, b, c)

    def codegen(context, builder, sig, args):
        T = context.get_value_type(sig.return_type)
        kind = 'f32' if T == ir.FloatType() else 'f64'
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(T, [T] * 3),
                                            f"llvm.fma.{kind}")
        vals = [context.cast(builder, v, t, sig.return_type) for v, t in zip(args, sig.args)]
        return builder.call(fn, vals)
    return sig, codegen


@njit(inline="always")
def check_index(i, n):
    """i, if 0 <= i < n; else IndexError (a raw pointer has no wraparound)."""
    if i < 0 or i >= n:
        raise IndexError("kernels._numba_util: index out of bounds")
    return i


@njit(inline="always")
def check_contiguous(a):
    """Refuse what the raw helpers would misread: they address a 1-D array's memory as one
    contiguous run, whatever its strides."""
    if a.size > 1 and a.strides[0] != a.itemsize:
        raise ValueError("kernels._numba_util: array is not contiguous")


@njit(cache=True)
def fma_rows_checked(acc, rows, x, xoff, xstep, w, woff, width):
    """``fma_rows`` with plain, checked indexing."""
    check_contiguous(x)
    check_contiguous(w)
    a = carray(acc, rows * width)
    for j in range(rows):
        xv = x[check_index(xoff + j * xstep, x.size)]
        for v in range(width):
            a[j * width + v] = fma(xv, w[check_index(woff + v, w.size)], a[j * width + v])


@njit(cache=True)
def fma_rows_gather_checked(acc, rows, x, xoff, offsets, w, woff, width):
    """``fma_rows_gather`` with plain, checked indexing."""
    check_contiguous(x)
    check_contiguous(w)
    a, offs = carray(acc, rows * width), carray(offsets, rows)
    for j in range(rows):
        xv = x[check_index(xoff + offs[j], x.size)]
        for v in range(width):
            a[j * width + v] = fma(xv, w[check_index(woff + v, w.size)], a[j * width + v])


@njit(cache=True)
def fma_scalar_rows_checked(acc, rows, a, x, xoff, xstep, width):
    """``fma_scalar_rows`` with plain, checked indexing."""
    check_contiguous(x)
    t = carray(acc, rows * width)
    for j in range(rows):
        for v in range(width):
            t[j * width + v] = fma(a, x[check_index(xoff + j * xstep + v, x.size)], t[j * width + v])


@njit(cache=True)
def store_rows_checked(acc, rows, y, yoff, ystep, width):
    """``store_rows`` with plain, checked indexing."""
    check_contiguous(y)
    t = carray(acc, rows * width)
    for j in range(rows):
        for v in range(width):
            y[check_index(yoff + j * ystep + v, y.size)] = t[j * width + v]


@njit(cache=True)
def deinterleave_vec_checked(src, soff, even, eoff, odd, ooff, width):
    """``deinterleave_vec`` with plain, checked indexing."""
    check_contiguous(src)
    check_contiguous(even)
    check_contiguous(odd)
    for v in range(width):
        even[check_index(eoff + v, even.size)] = src[check_index(soff + 2 * v, src.size)]
        odd[check_index(ooff + v, odd.size)] = src[check_index(soff + 2 * v + 1, src.size)]


@njit(cache=True)
def stream_affine_checked(y, yoff, x, xoff, scale, shift, width):
    """``stream_affine`` with plain, checked indexing, and its alignment requirement checked
    (a misaligned non-temporal store faults)."""
    check_contiguous(y)
    check_contiguous(x)
    if address(y, yoff) % (width * y.itemsize) != 0:
        raise ValueError("stream_affine: y + yoff is not aligned to the vector's size")
    for v in range(width):
        y[check_index(yoff + v, y.size)] = fma(scale, x[check_index(xoff + v, x.size)], shift)


if BOUNDSCHECK:
    fma_rows, fma_rows_gather, fma_scalar_rows = (
        fma_rows_checked, fma_rows_gather_checked, fma_scalar_rows_checked)
    store_rows, deinterleave_vec, stream_affine = (
        store_rows_checked, deinterleave_vec_checked, stream_affine_checked)
else:
    fma_rows, fma_rows_gather, fma_scalar_rows = fma_rows_raw, fma_rows_gather_raw, fma_scalar_rows_raw
    store_rows, deinterleave_vec, stream_affine = store_rows_raw, deinterleave_vec_raw, stream_affine_raw
