"""linear cases: layer shapes with and without bias, any number of leading dims (none: a
1-d input), a 1-d weight, biases torch broadcasts, empty leading dims, in_features 0 (the
output is the bias), shapes spanning several register tiles and column blocks of the numba
GEMM, and a long reduction; and the calls it refuses."""
from tests.cases import Bad, Case, cases, ranks, refuses

cases("linear",
      Case("layer", ((4, 10), (7, 10), (7,))),
      Case("no-bias", ((5, 6), (3, 6), None)),
      Case("1d-input", ((6,), (4, 6), (4,))),
      Case("3d-input", ((2, 3, 5), (4, 5), (4,))),
      Case("5d-input", ((2, 1, 2, 3, 4), (3, 4), None)),
      Case("1d-weight", ((3, 5), (5,), None)),
      Case("1d-input-1d-weight", ((5,), (5,), None)),
      Case("bias-scalar", ((4, 3), (5, 3), ())),
      Case("bias-one", ((4, 3), (5, 3), (1,))),
      Case("bias-per-row", ((2, 4, 3), (5, 3), (4, 5))),
      Case("bias-1-by-K", ((4, 3), (5, 3), (1, 5))),
      Case("tiles-and-blocks", ((13, 9), (35, 9), (35,))),      # 3 row tiles, 3 column blocks
      Case("long-reduction", ((600, 3), (2, 3), (2,))),         # grad_W sums 600 rows (3 flushes)
      Case("in-features-0", ((3, 0), (4, 0), (4,))),
      Case("in-features-0-no-bias", ((2, 0), (3, 0), None)),
      Case("rows-0", ((0, 3), (4, 3), (4,))),
      Case("out-features-0", ((2, 3), (0, 3), (0,))),
      Case("empty-leading-dim", ((2, 0, 3), (4, 3), (4,))),
      # torch's in-place bias path (no fused GEMM): a 1-d weight takes a bias there
      Case("1d-weight-bias-per-row", ((4, 2, 3), (3,), (4, 2))),
      Case("1d-input-1d-weight-bias-scalar", ((3,), (3,), ())),
      # torch's fused path: the bias broadcasts against (rows, K), even for a 1-d input
      Case("1d-input-bias-1-by-K", ((3,), (2, 3), (1, 2))))
ranks("linear", input=(1, None), weight=(1, 2), bias=(0, None))

# Each bad call changes the first case: input (4, 10), weight (7, 10), bias (7,).
refuses("linear",
        Bad("in-features-mismatch", ValueError, "weight", shapes=dict(weight=(7, 9)), torch=True),
        Bad("weight-3d", ValueError, "weight", shapes=dict(weight=(2, 7, 10)), torch=True),
        Bad("input-0-d", ValueError, "input", shapes=dict(input=()), torch=True),
        Bad("weight-0-d", ValueError, "weight", shapes=dict(weight=()), torch=True),
        Bad("bias-length", ValueError, "bias", shapes=dict(bias=(6,)), torch=True),
        Bad("bias-column", ValueError, "bias", shapes=dict(bias=(7, 1)), torch=True),
        Bad("bias-more-dims-than-output", ValueError, "bias", shapes=dict(bias=(1, 1, 7)), torch=True),
        Bad("bias-with-1d-weight", ValueError, "bias", shapes=dict(weight=(10,), bias=(1,)), torch=True),
        Bad("bias-vector-with-1d-weight-3d-input", ValueError, "bias",
            shapes=dict(input=(2, 4, 10), weight=(10,), bias=(4, 1)), torch=True),
        Bad("bias-fused-rows", ValueError, "bias", shapes=dict(input=(3, 4, 10), bias=(4, 1)), torch=True))
