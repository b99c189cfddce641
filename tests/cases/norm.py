"""Normalisation cases: every mode (training/eval, with and without running statistics
and affine weights), 0 to 4 spatial dims, the edges (batch 1, one group, a group per
channel, even LRN windows, dim=None weight norm), what torch accepts beyond the usual
(eps 0, negative or NaN where it allows them, any momentum, zero-size dimensions), and the
calls they refuse."""
import numpy as np

from tests.cases import Bad, Case, cases, ranks, refuses

C3 = (3,)


def _inf_at(shapes, *index, of=0, value=-np.inf):
    """Zero-mean random arrays (None where a shape is None) with ``value`` at ``index`` of
    array number ``of``."""
    def make(rng):
        arrays = [None if s is None else rng.standard_normal(s) for s in shapes]
        arrays[of][index] = value
        return arrays
    return make


def _negative_running_var(rng):
    """A negative running variance: NaN outputs, as in torch."""
    x = rng.standard_normal((2, 3, 4))
    return [x, rng.standard_normal(3), -0.5 - rng.random(3), rng.standard_normal(3),
            rng.standard_normal(3)]


cases("batch_norm",
      Case("train-2d", ((4, 3, 5, 6), C3, C3, C3, C3), dict(training=True)),
      Case("train-1d-bare", ((3, 4, 7), None, None, None, None), dict(training=True)),
      Case("train-3d-momentum", ((2, 3, 3, 4, 5), C3, C3, C3, None), dict(training=True, momentum=0.3)),
      Case("train-NC", ((8, 5), (5,), (5,), (5,), (5,)), dict(training=True, eps=1e-3)),
      Case("train-batch1", ((1, 3, 4, 4), C3, C3, None, C3), dict(training=True)),
      Case("eval-2d", ((2, 4, 5, 5), (4,), (4,), (4,), (4,))),
      Case("eval-1d-eps", ((2, 3, 6), C3, C3, None, None), dict(training=False, eps=1e-2)),
      # what torch accepts beyond the usual
      Case("train-4-spatial-dims", ((2, 3, 2, 2, 2, 3), C3, C3, C3, C3), dict(training=True)),
      Case("weight-and-bias-any-shape-with-C-values", ((4, 3, 5), C3, C3, (1, 3), (3, 1, 1)),
           dict(training=True)),
      Case("eval-eps-0", ((2, 3, 4), C3, C3, C3, C3), dict(eps=0.0)),
      Case("train-eps-nan", ((2, 3, 4), C3, C3, C3, C3), dict(training=True, eps=float("nan"))),
      Case("train-eps-True", ((2, 3, 4), None, None, C3, C3), dict(training=True, eps=True)),
      Case("train-momentum-negative", ((3, 3, 4), C3, C3, None, None), dict(training=True, momentum=-0.5)),
      Case("train-momentum-int-2", ((3, 3, 4), C3, C3, None, None), dict(training=True, momentum=2)),
      Case("eval-negative-running-var", ((2, 3, 4), C3, C3, C3, C3), make=_negative_running_var),
      Case("train-N0", ((0, 3, 4), C3, C3, C3, C3), dict(training=True)),
      Case("eval-N0", ((0, 3), C3, C3, None, None)),
      Case("train-C0", ((2, 0, 4), (0,), (0,), None, None), dict(training=True)),
      Case("train-S0", ((2, 3, 0), C3, C3, C3, C3), dict(training=True)))
ranks("batch_norm", input=(2, None))

cases("instance_norm",
      Case("affine-2d", ((2, 3, 5, 6), None, None, C3, C3)),
      Case("running-update", ((3, 4, 7), (4,), (4,), None, None), dict(momentum=0.2)),
      Case("eval", ((2, 3, 4, 5), C3, C3, C3, C3), dict(use_input_stats=False)),
      Case("3d", ((2, 2, 3, 4, 3), None, None, None, (2,)), dict(eps=1e-3)),
      Case("eval-NC", ((2, 3), C3, C3, C3, C3), dict(use_input_stats=False)),
      Case("4-spatial-dims", ((2, 3, 2, 2, 3, 2), None, None, C3, C3)),
      Case("eps-0", ((2, 3, 6), None, None, C3, C3), dict(eps=0.0)),
      Case("eps-negative", ((2, 3, 6), None, None, C3, None), dict(eps=-1e-3)),
      Case("eps-nan", ((2, 3, 6), None, None, None, None), dict(eps=float("nan"))),
      Case("momentum-negative", ((2, 3, 6), C3, C3, None, None), dict(momentum=-1.0)),
      Case("N0-running", ((0, 3, 4), C3, C3, None, None)),
      Case("S0-affine", ((2, 3, 0), C3, C3, C3, C3)),
      Case("C0", ((2, 0, 4), None, None, None, None)))
ranks("instance_norm", input=(2, None))

cases("group_norm",
      Case("3-groups", ((2, 6, 4, 5), (6,), (6,)), dict(num_groups=3)),
      Case("1d-bare", ((3, 4, 7), None, None), dict(num_groups=2)),
      Case("one-group", ((2, 4, 3, 3), (4,), None), dict(num_groups=1)),
      Case("group-per-channel-3d", ((2, 3, 2, 3, 4), None, C3), dict(num_groups=3, eps=1e-3)),
      Case("NC", ((4, 6), (6,), (6,)), dict(num_groups=2)),
      Case("NC-batch-1", ((1, 6), (6,), (6,)), dict(num_groups=2)),   # 3 values a group
      Case("4-spatial-dims", ((2, 4, 2, 2, 2, 3), (4,), (4,)), dict(num_groups=2)),
      Case("numpy-int-groups", ((2, 6, 4), None, None), dict(num_groups=np.int64(3))),
      Case("eps-0", ((2, 6, 4), (6,), (6,)), dict(num_groups=3, eps=0.0)),
      Case("eps-negative", ((2, 6, 4), (6,), None), dict(num_groups=3, eps=-1e-3)),
      Case("N0", ((0, 6, 4), (6,), (6,)), dict(num_groups=3)),
      Case("C0", ((2, 0, 4), (0,), (0,)), dict(num_groups=3)),
      Case("S0", ((2, 6, 0), (6,), (6,)), dict(num_groups=2)),
      # torch folds an infinite weight into x * scale + shift: NaN where the infinities cancel
      Case("inf-weight", ((2, 4, 3), (4,), (4,)), dict(num_groups=2),
           make=_inf_at(((2, 4, 3), (4,), (4,)), 1, of=1, value=np.inf)),
      Case("inf-weight-no-bias", ((2, 4, 5), (4,), None), dict(num_groups=1),
           make=_inf_at(((2, 4, 5), (4,), None), 2, of=1)),
      Case("NC-inf-weight", ((3, 6), (6,), (6,)), dict(num_groups=2),
           make=_inf_at(((3, 6), (6,), (6,)), 0, of=1)))
ranks("group_norm", input=(2, None))

cases("layer_norm",
      Case("last-two-dims", ((2, 3, 4, 5), (4, 5), (4, 5)), dict(normalized_shape=(4, 5))),
      Case("list-shape", ((3, 6), (6,), None), dict(normalized_shape=[6])),
      Case("whole-sample", ((2, 3, 4), None, None), dict(normalized_shape=(2, 3, 4), eps=1e-3)),
      Case("1d-input", ((7,), (7,), (7,)), dict(normalized_shape=(7,))),
      Case("numpy-int-shape", ((3, 5), None, (5,)), dict(normalized_shape=(np.int64(5),))),
      Case("eps-0", ((3, 5), (5,), (5,)), dict(normalized_shape=(5,), eps=0.0)),
      Case("eps-negative", ((3, 5), (5,), None), dict(normalized_shape=(5,), eps=-1e-3)),
      Case("eps-nan", ((3, 5), None, None), dict(normalized_shape=(5,), eps=float("nan"))),
      Case("rows-0", ((0, 3), (3,), (3,)), dict(normalized_shape=(3,))),
      Case("normalized-0", ((2, 0), (0,), (0,)), dict(normalized_shape=(0,))))
ranks("layer_norm", input=(1, None))     # any leading dimensions before normalized_shape

cases("layer_norm2d",
      Case("convnext-like", ((2, 6, 3, 4), (6,), (6,))),
      Case("bare", ((3, 5, 2, 3), None, None)),
      Case("weight-only-eps", ((2, 4, 3, 3), (4,), None), dict(eps=1e-3)),
      Case("bias-only-1x1", ((4, 3, 1, 1), None, (3,))),
      Case("runs-over-one-task", ((1, 3, 20, 15), (3,), (3,))),   # 300 positions: 2 runs
      Case("eps-0", ((2, 4, 2, 2), (4,), (4,)), dict(eps=0.0)),
      Case("eps-nan", ((2, 4, 2, 2), None, None), dict(eps=float("nan"))),
      Case("N0", ((0, 4, 2, 2), (4,), (4,))),
      Case("C0", ((2, 0, 2, 2), (0,), (0,))),
      Case("H0", ((2, 4, 0, 3), (4,), (4,))))

cases("local_response_norm",
      # large alpha so that the normalisation (and its gradient) is far from the identity
      Case("size3", ((2, 7, 4, 5),), dict(size=3, alpha=0.5, beta=0.75, k=1.0)),
      Case("alexnet-like", ((1, 8, 3, 3),), dict(size=5, alpha=1.0, beta=0.75, k=2.0)),
      Case("even-size-1d", ((2, 5, 6),), dict(size=4, alpha=0.3, beta=0.5, k=1.5)),
      Case("window-over-all-3d", ((1, 3, 2, 3, 3),), dict(size=7, alpha=0.8, beta=1.0)),
      Case("defaults", ((2, 4, 3, 3),), dict(size=2)),
      Case("4-spatial-dims", ((1, 4, 2, 2, 2, 3),), dict(size=3, alpha=0.5)),
      Case("size-far-above-C", ((2, 4, 5),), dict(size=101, alpha=20.0, beta=0.5)),
      Case("alpha-int-beta-bool", ((2, 4, 5),), dict(size=3, alpha=1, beta=True)),
      Case("alpha-nan", ((2, 4, 5),), dict(size=3, alpha=float("nan"))),
      Case("k-negative", ((2, 4, 5),), dict(size=3, k=-5.0)),
      Case("beta-0-inf-input", ((2, 5, 3),), dict(size=3, beta=0.0, k=2.0), make=_inf_at(((2, 5, 3),), 1, 2, 0)),
      Case("N0", ((0, 4, 5),), dict(size=3)),
      Case("C0", ((2, 0, 5),), dict(size=3)),
      Case("S0", ((2, 4, 0, 3),), dict(size=3)))
ranks("local_response_norm", input=(3, None))

cases("weight_norm",
      Case("conv-weight-dim0", ((6, 3, 3, 3), (6, 1, 1, 1)), dict(dim=0)),
      Case("linear-dim1", ((4, 5), (1, 5)), dict(dim=1)),
      Case("middle-dim", ((3, 4, 2, 2), (1, 4, 1, 1)), dict(dim=1)),
      Case("whole-tensor", ((3, 4, 5), (1, 1, 1)), dict(dim=None)),
      Case("negative-dim", ((3, 4, 2, 2), (1, 1, 2, 1)), dict(dim=-2)),
      Case("minus-one-whole-tensor", ((3, 4), (1, 1)), dict(dim=-1)),
      Case("1d-whole", ((5,), (1,)), dict(dim=None)),
      # the whole tensor's norm with g broadcast over v: torch's v * (g / ||v||)
      Case("whole-g-along-last", ((6,), (6,)), dict(dim=-1)),
      Case("whole-g-along-two", ((3, 4, 2), (4, 2)), dict(dim=None)),
      Case("whole-g-along-apart", ((3, 4, 2), (3, 1, 2)), dict(dim=-1)),
      Case("g-flat-last-dim", ((4, 5), (5,)), dict(dim=1)),
      Case("g-fewer-dims", ((3, 4, 2, 2), (4, 1, 1)), dict(dim=1)),
      Case("g-any-shape-dim0", ((4, 3, 2), (2, 2)), dict(dim=0)),   # torch's fused kernel reads 4 values
      Case("g-one-value-middle-dim", ((3, 4, 2, 2), (1,)), dict(dim=1)),   # v * (g / norm) broadcasts it
      Case("zero-v", ((3, 4), (3, 1)), dict(dim=0),
           make=lambda rng: [np.zeros((3, 4)), rng.standard_normal((3, 1))]),
      Case("empty-v", ((3, 0), (3, 1)), dict(dim=0)))


# Each bad call changes the op's first case (or the case it names).
refuses("batch_norm",   # x (4, 3, 5, 6), running_mean, running_var, weight, bias (3,), training
        Bad("running-mean-length", ValueError, "running_mean", shapes=dict(running_mean=(4,)), torch=True),
        Bad("running-var-length", ValueError, "running_var", shapes=dict(running_var=(4,)), torch=True),
        Bad("running-mean-2d", ValueError, "running_mean", shapes=dict(running_mean=(1, 3)), torch=True),
        Bad("eval-without-statistics", ValueError, "running_mean", shapes=dict(running_mean=None,
            running_var=None),
            params=dict(training=False), torch=True),
        Bad("running-mean-without-var", ValueError, "running_var", shapes=dict(running_var=None), torch=True),
        Bad("weight-length", ValueError, "weight", shapes=dict(weight=(4,)), torch=True),
        Bad("weight-elements", ValueError, "weight", shapes=dict(weight=(1, 4)), torch=True),
        Bad("bias-length", ValueError, "bias", shapes=dict(bias=(2,)), torch=True),
        Bad("one-value-per-channel", ValueError, "training", shapes=dict(input=(1, 3)), torch=True),
        Bad("C0-with-weight", ValueError, "input", shapes=dict(input=(2, 0, 4), running_mean=(0,),
            running_var=(0,), weight=(0,), bias=None), torch=True),
        Bad("momentum-None", TypeError, "momentum", params=dict(momentum=None), torch=True),
        Bad("momentum-string", TypeError, "momentum", params=dict(momentum="a"), torch=True),
        Bad("momentum-huge-int", ValueError, "momentum", params=dict(momentum=10 ** 400), torch=True),
        Bad("eps-negative", ValueError, "eps", params=dict(eps=-1.0), torch=True),
        Bad("eps-0-training", ValueError, "eps", params=dict(eps=0.0), torch=True),
        Bad("eps-negative-eval", ValueError, "eps", params=dict(eps=-1e-3), case="eval-2d", torch=True),
        Bad("eps-None", TypeError, "eps", params=dict(eps=None), torch=True),
        Bad("training-string", TypeError, "training", params=dict(training="yes"), torch=True),
        Bad("training-int", TypeError, "training", params=dict(training=1), torch=True),
        Bad("training-numpy-bool", TypeError, "training", params=dict(training=np.bool_(True)),
            torch=True))

refuses("instance_norm",   # x (2, 3, 5, 6), weight and bias (3,)
        Bad("running-statistics-length", ValueError, "running_mean",
            shapes=dict(running_mean=(4,), running_var=(4,)), torch=True),
        Bad("eval-without-statistics", ValueError, "running_mean", params=dict(use_input_stats=False),
            torch=True),
        Bad("one-spatial-element", ValueError, "input", shapes=dict(input=(2, 3, 1, 1)), torch=True),
        Bad("NC-with-input-statistics", ValueError, "input", shapes=dict(input=(2, 3)), torch=True),
        Bad("weight-2d", ValueError, "weight", shapes=dict(weight=(1, 3)), torch=True),
        Bad("N0-with-weight", ValueError, "input", shapes=dict(input=(0, 3, 4)), torch=True),
        Bad("C0-with-bias", ValueError, "input", shapes=dict(input=(2, 0, 4), weight=None, bias=(0,)),
            torch=True),
        Bad("momentum-None", TypeError, "momentum", params=dict(momentum=None), torch=True),
        Bad("eps-None", TypeError, "eps", params=dict(eps=None), torch=True),
        Bad("use_input_stats-int", TypeError, "use_input_stats", params=dict(use_input_stats=1),
            torch=True))

refuses("group_norm",   # x (2, 6, 4, 5), weight and bias (6,), 3 groups
        Bad("groups-not-dividing-C", ValueError, "num_groups", params=dict(num_groups=4), torch=True),
        Bad("groups-0", ValueError, "num_groups", params=dict(num_groups=0), torch=True),
        Bad("groups-negative", ValueError, "num_groups", params=dict(num_groups=-3), torch=True),
        Bad("groups-huge", ValueError, "num_groups", params=dict(num_groups=2 ** 62), torch=True),
        Bad("groups-float", TypeError, "num_groups", params=dict(num_groups=3.0), torch=True),
        Bad("groups-bool", TypeError, "num_groups", params=dict(num_groups=True), torch=True),
        Bad("one-value-per-group", ValueError, "input", shapes=dict(input=(1, 6, 1)),
            params=dict(num_groups=6), torch=True),
        Bad("weight-length", ValueError, "weight", shapes=dict(weight=(2,)), torch=True),
        Bad("weight-2d", ValueError, "weight", shapes=dict(weight=(1, 6)), torch=True),
        Bad("eps-None", TypeError, "eps", params=dict(eps=None), torch=True))

refuses("layer_norm",   # x (2, 3, 4, 5), weight and bias (4, 5), normalized_shape (4, 5)
        Bad("shape-not-trailing", ValueError, "normalized_shape", params=dict(normalized_shape=(3, 4)),
            torch=True),
        Bad("weight-shape", ValueError, "weight", shapes=dict(weight=(5,)), torch=True),
        Bad("shape-float", TypeError, "normalized_shape", params=dict(normalized_shape=2.5), torch=True),
        Bad("shape-int", TypeError, "normalized_shape", params=dict(normalized_shape=5), torch=True),
        Bad("shape-empty", ValueError, "normalized_shape", params=dict(normalized_shape=()), torch=True),
        Bad("shape-bool-element", TypeError, "normalized_shape", params=dict(normalized_shape=(True,)),
            shapes=dict(input=(2, 1), weight=None, bias=None), torch=True),
        Bad("shape-negative", ValueError, "normalized_shape", params=dict(normalized_shape=(-1,)),
            torch=True),
        Bad("shape-huge", ValueError, "normalized_shape", params=dict(normalized_shape=(2 ** 62,)),
            shapes=dict(weight=None, bias=None), torch=True),
        Bad("eps-None", TypeError, "eps", params=dict(eps=None), torch=True))

refuses("layer_norm2d",   # x (2, 6, 3, 4), weight and bias (6,)
        Bad("input-3d", ValueError, "input", shapes=dict(input=(6, 3, 4))),
        Bad("input-5d", ValueError, "input", shapes=dict(input=(2, 6, 3, 4, 1))),
        Bad("weight-length", ValueError, "weight", shapes=dict(weight=(4,))),
        Bad("bias-2d", ValueError, "bias", shapes=dict(bias=(1, 6))),
        Bad("eps-None", TypeError, "eps", params=dict(eps=None)),
        Bad("eps-string", TypeError, "eps", params=dict(eps="small")))

refuses("local_response_norm",   # x (2, 7, 4, 5), size 3
        Bad("size-0", ValueError, "size", params=dict(size=0), torch=True),
        Bad("size-negative", ValueError, "size", params=dict(size=-1), torch=True),
        Bad("size-float", TypeError, "size", params=dict(size=2.0), torch=True),
        Bad("size-bool", TypeError, "size", params=dict(size=True), torch=True),
        Bad("size-huge", ValueError, "size", params=dict(size=2 ** 62), torch=True),
        Bad("alpha-None", TypeError, "alpha", params=dict(alpha=None), torch=True),
        Bad("beta-string", TypeError, "beta", params=dict(beta="big"), torch=True),
        Bad("k-string", TypeError, "k", params=dict(k="a"), torch=True))

refuses("weight_norm",   # v (6, 3, 3, 3), g (6, 1, 1, 1), dim 0
        Bad("g-for-another-dim", ValueError, "g", params=dict(dim=1)),
        Bad("dim-out-of-range", ValueError, "dim", params=dict(dim=4)),
        Bad("dim-below-range", ValueError, "dim", params=dict(dim=-5)),
        Bad("dim-huge", ValueError, "dim", params=dict(dim=2 ** 62)),
        Bad("g-length", ValueError, "g", shapes=dict(g=(2, 1, 1, 1))),
        Bad("g-one-value-broadcast-over-dim", ValueError, "g", shapes=dict(g=(1,))),
        Bad("g-not-broadcasting-for-dim-None", ValueError, "g", shapes=dict(g=(2, 1, 1, 1)),
            params=dict(dim=None)),
        # torch's v * (g / ||v||) would be a (2, 6, 3, 3, 3) weight: not a weight of v's shape
        Bad("g-broadcasting-beyond-v", ValueError, "g", shapes=dict(g=(2, 6, 1, 1, 1)),
            params=dict(dim=-1)),
        Bad("v-0-d", ValueError, "v", shapes=dict(v=(), g=())),
        Bad("v-empty-along-middle-dim", ValueError, "v", shapes=dict(v=(6, 0, 3, 3), g=(1, 0, 1, 1)),
            params=dict(dim=1)),
        Bad("dim-float", TypeError, "dim", params=dict(dim=0.0)),
        Bad("dim-bool", TypeError, "dim", params=dict(dim=True)))
