"""Normalisation cases: every mode (training/eval, with and without running statistics
and affine weights), 0 to 3 spatial dims, and the edges (batch 1, one group, a group per
channel, even LRN windows, dim=None weight norm), and the calls they refuse."""
from tests.cases import Bad, Case, cases, ranks, refuses

C3 = (3,)
cases("batch_norm",
      Case("train-2d", ((4, 3, 5, 6), C3, C3, C3, C3), dict(training=True)),
      Case("train-1d-bare", ((3, 4, 7), None, None, None, None), dict(training=True)),
      Case("train-3d-momentum", ((2, 3, 3, 4, 5), C3, C3, C3, None), dict(training=True, momentum=0.3)),
      Case("train-NC", ((8, 5), (5,), (5,), (5,), (5,)), dict(training=True, eps=1e-3)),
      Case("train-batch1", ((1, 3, 4, 4), C3, C3, None, C3), dict(training=True)),
      Case("eval-2d", ((2, 4, 5, 5), (4,), (4,), (4,), (4,))),
      Case("eval-1d-eps", ((2, 3, 6), C3, C3, None, None), dict(training=False, eps=1e-2)))

cases("instance_norm",
      Case("affine-2d", ((2, 3, 5, 6), None, None, C3, C3)),
      Case("running-update", ((3, 4, 7), (4,), (4,), None, None), dict(momentum=0.2)),
      Case("eval", ((2, 3, 4, 5), C3, C3, C3, C3), dict(use_input_stats=False)),
      Case("3d", ((2, 2, 3, 4, 3), None, None, None, (2,)), dict(eps=1e-3)))

cases("group_norm",
      Case("3-groups", ((2, 6, 4, 5), (6,), (6,)), dict(num_groups=3)),
      Case("1d-bare", ((3, 4, 7), None, None), dict(num_groups=2)),
      Case("one-group", ((2, 4, 3, 3), (4,), None), dict(num_groups=1)),
      Case("group-per-channel-3d", ((2, 3, 2, 3, 4), None, C3), dict(num_groups=3, eps=1e-3)),
      Case("NC", ((4, 6), (6,), (6,)), dict(num_groups=2)))

cases("layer_norm",
      Case("last-two-dims", ((2, 3, 4, 5), (4, 5), (4, 5)), dict(normalized_shape=(4, 5))),
      Case("int-shape", ((3, 6), (6,), None), dict(normalized_shape=6)),
      Case("whole-sample", ((2, 3, 4), None, None), dict(normalized_shape=(2, 3, 4), eps=1e-3)))
ranks("layer_norm", input=(1, None))     # any leading dimensions before normalized_shape

cases("local_response_norm",
      # large alpha so that the normalisation (and its gradient) is far from the identity
      Case("size3", ((2, 7, 4, 5),), dict(size=3, alpha=0.5, beta=0.75, k=1.0)),
      Case("alexnet-like", ((1, 8, 3, 3),), dict(size=5, alpha=1.0, beta=0.75, k=2.0)),
      Case("even-size-1d", ((2, 5, 6),), dict(size=4, alpha=0.3, beta=0.5, k=1.5)),
      Case("window-over-all-3d", ((1, 3, 2, 3, 3),), dict(size=7, alpha=0.8, beta=1.0)),
      Case("defaults", ((2, 4, 3, 3),), dict(size=2)))

cases("weight_norm",
      Case("conv-weight-dim0", ((6, 3, 3, 3), (6, 1, 1, 1)), dict(dim=0)),
      Case("linear-dim1", ((4, 5), (1, 5)), dict(dim=1)),
      Case("middle-dim", ((3, 4, 2, 2), (1, 4, 1, 1)), dict(dim=1)),
      Case("whole-tensor", ((3, 4, 5), (1, 1, 1)), dict(dim=None)))


# Each bad call changes the op's first case (or the case it names).
refuses("batch_norm",   # x (4, 3, 5, 6), running_mean, running_var, weight, bias (3,), training
        Bad("running-mean-length", ValueError, "running_mean", shapes=dict(running_mean=(4,)), torch=True),
        Bad("running-var-length", ValueError, "running_var", shapes=dict(running_var=(4,)), torch=True),
        Bad("eval-without-statistics", ValueError, "running_mean", shapes=dict(running_mean=None,
            running_var=None),
            params=dict(training=False), torch=True),
        Bad("running-mean-without-var", ValueError, "running_var", shapes=dict(running_var=None), torch=True),
        Bad("weight-length", ValueError, "weight", shapes=dict(weight=(4,)), torch=True),
        Bad("bias-length", ValueError, "bias", shapes=dict(bias=(2,)), torch=True),
        Bad("one-value-per-channel", ValueError, "training", shapes=dict(input=(1, 3)), torch=True),
        Bad("momentum-above-1", ValueError, "momentum", params=dict(momentum=1.5), torch=False),
        Bad("momentum-None", TypeError, "momentum", params=dict(momentum=None), torch=True),
        Bad("eps-negative", ValueError, "eps", params=dict(eps=-1.0), torch=True),
        Bad("training-string", TypeError, "training", params=dict(training="yes"), torch=True))

refuses("instance_norm",   # x (2, 3, 5, 6), weight and bias (3,)
        Bad("running-statistics-length", ValueError, "running_mean",
            shapes=dict(running_mean=(4,), running_var=(4,)), torch=True),
        Bad("eval-without-statistics", ValueError, "running_mean", params=dict(use_input_stats=False),
            torch=True),
        Bad("one-spatial-element", ValueError, "input", shapes=dict(input=(2, 3, 1, 1)), torch=True),
        Bad("eps-nan", ValueError, "eps", params=dict(eps=float("nan")), torch=False))

refuses("group_norm",   # x (2, 6, 4, 5), weight and bias (6,), 3 groups
        Bad("groups-not-dividing-C", ValueError, "num_groups", params=dict(num_groups=4), torch=True),
        Bad("groups-0", ValueError, "num_groups", params=dict(num_groups=0), torch=True),
        Bad("weight-length", ValueError, "weight", shapes=dict(weight=(2,)), torch=True))

refuses("layer_norm",   # x (2, 3, 4, 5), weight and bias (4, 5), normalized_shape (4, 5)
        Bad("shape-not-trailing", ValueError, "normalized_shape", params=dict(normalized_shape=(3, 4)),
            torch=True),
        Bad("weight-shape", ValueError, "weight", shapes=dict(weight=(5,)), torch=True),
        Bad("shape-float", TypeError, "normalized_shape", params=dict(normalized_shape=2.5), torch=True))

refuses("local_response_norm",   # x (2, 7, 4, 5), size 3
        Bad("size-0", ValueError, "size", params=dict(size=0), torch=True),
        Bad("alpha-nan", ValueError, "alpha", params=dict(alpha=float("nan")), torch=False),
        Bad("beta-string", TypeError, "beta", params=dict(beta="big"), torch=True))

refuses("weight_norm",   # v (6, 3, 3, 3), g (6, 1, 1, 1), dim 0
        Bad("g-for-another-dim", ValueError, "g", params=dict(dim=1)),
        Bad("dim-out-of-range", ValueError, "dim", params=dict(dim=4)),
        Bad("g-length", ValueError, "g", shapes=dict(g=(2, 1, 1, 1))),
        Bad("g-not-one-value-for-dim-None", ValueError, "g", params=dict(dim=None)),
        Bad("dim-float", TypeError, "dim", params=dict(dim=0.0)))
