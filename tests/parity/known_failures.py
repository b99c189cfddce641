"""Generated parity cases that fail today, one line of reason each: "<op>#<case>-<algo>"
(and "doc-<algo>" for test_spaces.test_spreading_algorithms_say_so).

A case is named by its row: ``p003`` the fourth pairwise row, ``N=0`` the edge N=0 on a
plain row (run ``python -m pytest tests/parity -k "conv2d#N=0"`` to see its shapes and
parameters).  A reason names what sets the case apart (its edge, batch-less input, the NaN
or infinity planted and where) and what fails.  Strict: a case listed here that passes
fails the run until its line is removed.  The list is the family owners' to empty;
``python -m tests.parity.failures JUNIT_XML`` prints the cases that failed in a pytest run
(``--junitxml``).
"""
KNOWN_FAILURES: dict[str, str] = {
    # ======== conv ========
    # ---- conv1d ----
    'conv1d#Cg=0-auto': 'Cg=0 batch-less nan@weight: refuses the batch-less input; torch computes',
    'conv1d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'conv1d#p001-auto': 'batch-less nan@weight: refuses the batch-less input; torch computes',
    'conv1d#p003-auto': 'batch-less -inf@input: refuses the batch-less input; torch computes',
    'conv1d#p004-naive': 'nan@weight: forward differs from torch (NaN/Inf placement or value)',
    'conv1d#p005-auto': 'batch-less: refuses the batch-less input; torch computes',
    # ---- conv2d ----
    'conv2d#Cg=0-auto': 'Cg=0 batch-less inf@weight: refuses the batch-less input; torch computes',
    'conv2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'conv2d#p001-auto': 'batch-less inf@weight: refuses the batch-less input; torch computes',
    'conv2d#p002-auto': 'batch-less nan@bias: refuses the batch-less input; torch computes',
    'conv2d#p004-auto': 'batch-less: refuses the batch-less input; torch computes',
    'conv2d#p005-naive': 'nan@weight: forward differs from torch (NaN/Inf placement or value)',
    # ---- conv3d ----
    'conv3d#Cg=0-auto': 'Cg=0 batch-less nan@bias: refuses the batch-less input; torch computes',
    'conv3d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'conv3d#p001-auto': 'batch-less nan@bias: refuses the batch-less input; torch computes',
    'conv3d#p002-cuda': '-inf@weight: forward differs from torch (NaN/Inf placement or value)',
    'conv3d#p002-naive': '-inf@weight: forward differs from torch (NaN/Inf placement or value)',
    'conv3d#p004-auto': 'batch-less: refuses the batch-less input; torch computes',
    # ---- conv_transpose1d ----
    'conv_transpose1d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'conv_transpose1d#R0=9-auto': 'R0=9 batch-less nan@weight: refuses the batch-less input; torch computes',
    'conv_transpose1d#p002-auto': 'batch-less nan@weight: refuses the batch-less input; torch computes',
    'conv_transpose1d#p003-auto': 'batch-less inf@input: refuses the batch-less input; torch computes',
    'conv_transpose1d#p004-naive': 'inf@weight: grad input differs from torch (NaN/Inf placement or value)',
    'conv_transpose1d#p005-auto': 'batch-less inf@bias: refuses the batch-less input; torch computes',
    'conv_transpose1d#padding=5-auto':
        'padding=5 batch-less nan@weight: refuses the batch-less input; torch computes',
    # ---- conv_transpose2d ----
    'conv_transpose2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'conv_transpose2d#p001-auto': 'batch-less -inf@weight: refuses the batch-less input; torch computes',
    'conv_transpose2d#p003-auto': 'batch-less inf@bias: refuses the batch-less input; torch computes',
    'conv_transpose2d#p004-naive': 'inf@weight: grad input differs from torch (NaN/Inf placement or value)',
    'conv_transpose2d#p005-auto': 'batch-less inf@input: refuses the batch-less input; torch computes',
    # ---- conv_transpose3d ----
    'conv_transpose3d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'conv_transpose3d#R0=9-auto': 'R0=9 batch-less inf@bias: refuses the batch-less input; torch computes',
    'conv_transpose3d#R1=9-auto': 'R1=9 batch-less inf@bias: refuses the batch-less input; torch computes',
    'conv_transpose3d#R2=9-auto': 'R2=9 batch-less inf@bias: refuses the batch-less input; torch computes',
    'conv_transpose3d#p001-auto': 'batch-less nan@weight: refuses the batch-less input; torch computes',
    'conv_transpose3d#p002-auto': 'batch-less inf@bias: refuses the batch-less input; torch computes',
    'conv_transpose3d#p005-numba': 'nan@weight: forward differs from torch (NaN/Inf placement or value)',
    'conv_transpose3d#padding=5-auto':
        'padding=5 batch-less inf@bias: refuses the batch-less input; torch computes',
    # ---- coord_conv2d ----
    'coord_conv2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'coord_conv2d#X0=0-auto': 'X0=0 -inf@bias: refuses the empty input; torch computes',
    'coord_conv2d#p002-auto': 'batch-less nan@weight: refuses the batch-less input; torch computes',
    'coord_conv2d#p003-auto': 'batch-less inf@input: refuses the batch-less input; torch computes',
    'coord_conv2d#p004-auto': 'batch-less inf@bias: refuses the batch-less input; torch computes',
    'coord_conv2d#p005-auto': 'batch-less: refuses the batch-less input; torch computes',
    # ---- deform_conv2d ----
    'deform_conv2d#X0=1-auto':
        "X0=1: refuses (weight's kernel (2, 2) (dilation (2, 2)) is larger than the padd); torch computes",
    # ---- depthwise_conv2d ----
    'depthwise_conv2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'depthwise_conv2d#X0=1-auto': 'X0=1 batch-less nan@weight: refuses the batch-less input; torch computes',
    'depthwise_conv2d#p001-auto': 'batch-less -inf@bias: refuses the batch-less input; torch computes',
    'depthwise_conv2d#p002-auto': 'batch-less nan@weight: refuses the batch-less input; torch computes',
    'depthwise_conv2d#p004-numba': '-inf@weight: grad input differs from torch (NaN/Inf placement or value)',
    'depthwise_conv2d#p005-auto': 'batch-less: refuses the batch-less input; torch computes',
    # ---- pointwise_conv2d ----
    'pointwise_conv2d#C=0-auto': 'C=0 batch-less inf@bias: refuses the batch-less input; torch computes',
    'pointwise_conv2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'pointwise_conv2d#p001-auto': 'batch-less inf@bias: refuses the batch-less input; torch computes',
    'pointwise_conv2d#p003-auto': 'batch-less nan@weight: refuses the batch-less input; torch computes',
    'pointwise_conv2d#p005-auto': 'batch-less: refuses the batch-less input; torch computes',
    # ---- separable_conv2d ----
    'separable_conv2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'separable_conv2d#p001-auto':
        'batch-less -inf@weight_depthwise: refuses the batch-less input; torch computes',
    'separable_conv2d#p003-auto': 'batch-less nan@bias: refuses the batch-less input; torch computes',
    'separable_conv2d#p004-auto': 'batch-less: refuses the batch-less input; torch computes',
    'separable_conv2d#p005-naive':
        '-inf@weight_depthwise: forward differs from torch (NaN/Inf placement or value)',
    'separable_conv2d#p005-numba':
        '-inf@weight_depthwise: grad input differs from torch (NaN/Inf placement or value)',
    # ---- spatially_separable_conv2d ----
    'spatially_separable_conv2d#C=0-auto':
        'C=0 batch-less -inf@col: refuses the batch-less input; torch computes',
    'spatially_separable_conv2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'spatially_separable_conv2d#R1=9-naive':
        'R1=9 inf@row: forward differs from torch (NaN/Inf placement or value)',
    'spatially_separable_conv2d#R1=9-numba':
        'R1=9 inf@row: forward differs from torch (NaN/Inf placement or value)',
    'spatially_separable_conv2d#R1=9-numpy':
        'R1=9 inf@row: forward differs from torch (NaN/Inf placement or value)',
    'spatially_separable_conv2d#X1=1-naive':
        'X1=1 inf@row: forward differs from torch (NaN/Inf placement or value)',
    'spatially_separable_conv2d#X1=1-numba':
        'X1=1 inf@row: forward differs from torch (NaN/Inf placement or value)',
    'spatially_separable_conv2d#X1=1-numpy':
        'X1=1 inf@row: forward differs from torch (NaN/Inf placement or value)',
    'spatially_separable_conv2d#p001-auto':
        'batch-less -inf@col: refuses the batch-less input; torch computes',
    'spatially_separable_conv2d#p002-naive':
        'inf@row: forward differs from torch (NaN/Inf placement or value)',
    'spatially_separable_conv2d#p002-numba':
        'inf@row: forward differs from torch (NaN/Inf placement or value)',
    'spatially_separable_conv2d#p002-numpy':
        'inf@row: forward differs from torch (NaN/Inf placement or value)',
    'spatially_separable_conv2d#p004-auto':
        'batch-less inf@row: refuses the batch-less input; torch computes',
    # ---- unshared_conv2d ----
    'unshared_conv2d#K=0-auto': 'K=0 -inf@bias: refuses the empty input; torch computes',
    'unshared_conv2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'unshared_conv2d#p003-auto': 'batch-less inf@bias: refuses the batch-less input; torch computes',
    'unshared_conv2d#p004-auto': 'batch-less: refuses the batch-less input; torch computes',
    # ======== pool ========
    # ---- adaptive_avg_pool2d ----
    'adaptive_avg_pool2d#C=0-auto': 'C=0 batch-less -inf@input: refuses the empty input; torch computes',
    'adaptive_avg_pool2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'adaptive_avg_pool2d#output_size=0,2-auto':
        'output_size=0,2: refuses (output_size must be positive, got (0, 2)); torch computes',
    # ---- adaptive_max_pool2d ----
    'adaptive_max_pool2d#C=0-auto': 'C=0 batch-less -inf@input: refuses the empty input; torch computes',
    'adaptive_max_pool2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'adaptive_max_pool2d#output_size=0,2-auto':
        'output_size=0,2: refuses (output_size must be positive, got (0, 2)); torch computes',
    'adaptive_max_pool2d#p003-naive':
        'batch-less nan@input: forward differs from torch (NaN/Inf placement or value)',
    'adaptive_max_pool2d#p003-numba':
        'batch-less nan@input: forward differs from torch (NaN/Inf placement or value)',
    'adaptive_max_pool2d#p005-naive': 'nan@input: forward differs from torch (NaN/Inf placement or value)',
    'adaptive_max_pool2d#p005-numba': 'nan@input: forward differs from torch (NaN/Inf placement or value)',
    # ---- avg_pool1d ----
    'avg_pool1d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    # ---- avg_pool2d ----
    'avg_pool2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    # ---- avg_pool3d ----
    'avg_pool3d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    # ---- global_avg_pool2d ----
    'global_avg_pool2d#C=0-auto': 'C=0 batch-less inf@input: refuses the empty input; torch computes',
    'global_avg_pool2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'global_avg_pool2d#X0=0-auto': 'X0=0: refuses the empty input; torch computes',
    'global_avg_pool2d#X1=0-auto': 'X1=0 batch-less nan@input: refuses the empty input; torch computes',
    # ---- lp_pool1d ----
    'lp_pool1d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'lp_pool1d#p002-auto':
        "inf@input: accepted; torch refuses (TypeError: mul(): argument 'other' (position 1) must be Tensor,)",
    'lp_pool1d#p002-naive':
        "inf@input: accepted; torch refuses (TypeError: mul(): argument 'other' (position 1) must be Tensor,)",
    'lp_pool1d#p002-numba':
        "inf@input: accepted; torch refuses (TypeError: mul(): argument 'other' (position 1) must be Tensor,)",
    'lp_pool1d#p002-numpy':
        "inf@input: accepted; torch refuses (TypeError: mul(): argument 'other' (position 1) must be Tensor,)",
    # ---- lp_pool2d ----
    'lp_pool2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    # ---- max_pool1d ----
    'max_pool1d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'max_pool1d#X0=1-auto':
        'X0=1 nan@input: refuses (with dilation=(2,) and padding=1 a window lies entirely in the p); torch computes',
    'max_pool1d#p002-naive': 'nan@input: forward differs from torch (NaN/Inf placement or value)',
    'max_pool1d#p002-numba': 'nan@input: forward differs from torch (NaN/Inf placement or value)',
    'max_pool1d#p002-numpy': 'nan@input: forward differs from torch (NaN/Inf placement or value)',
    'max_pool1d#p004-naive': 'batch-less nan@input: forward differs from torch (NaN/Inf placement or value)',
    'max_pool1d#p004-numba': 'batch-less nan@input: forward differs from torch (NaN/Inf placement or value)',
    'max_pool1d#p004-numpy':
        'batch-less nan@input: grad input differs from torch (NaN/Inf placement or value)',
    'max_pool1d#p005-numpy': '-inf@input: forward: indices differ from torch',
    # ---- max_pool2d ----
    'max_pool2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'max_pool2d#X1=1-auto':
        'X1=1 batch-less inf@input: refuses (with dilation=2 and padding=1 a window lies entirely in the padd); torch computes',
    'max_pool2d#p003-naive': 'nan@input: forward differs from torch (NaN/Inf placement or value)',
    'max_pool2d#p003-numba': 'nan@input: forward differs from torch (NaN/Inf placement or value)',
    'max_pool2d#p003-numpy': 'nan@input: forward differs from torch (NaN/Inf placement or value)',
    # ---- max_pool3d ----
    'max_pool3d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'max_pool3d#p001-naive': 'batch-less nan@input: forward differs from torch (NaN/Inf placement or value)',
    'max_pool3d#p001-numba': 'batch-less nan@input: forward differs from torch (NaN/Inf placement or value)',
    'max_pool3d#p001-numpy': 'batch-less nan@input: forward differs from torch (NaN/Inf placement or value)',
    # ---- max_unpool2d ----
    'max_unpool2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'max_unpool2d#p004-auto': 'batch-less nan@input: refuses the batch-less input; torch computes',
    # ---- spatial_pyramid_pool2d ----
    'spatial_pyramid_pool2d#C=0-auto':
        'C=0 batch-less nan@input: refuses the batch-less input; torch computes',
    'spatial_pyramid_pool2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'spatial_pyramid_pool2d#X1=1-auto':
        'X1=1 batch-less nan@input: refuses the batch-less input; torch computes',
    'spatial_pyramid_pool2d#levels=0-auto':
        'levels=0 batch-less nan@input: refuses (levels must be positive, got (0,)); torch computes',
    'spatial_pyramid_pool2d#p001-auto': 'batch-less nan@input: refuses the batch-less input; torch computes',
    'spatial_pyramid_pool2d#p003-auto': 'batch-less inf@input: refuses the batch-less input; torch computes',
    'spatial_pyramid_pool2d#p005-auto': 'batch-less -inf@input: refuses the batch-less input; torch computes',
    # ---- sum_pool2d ----
    'sum_pool2d#N=0-auto': 'N=0: refuses the empty input; torch computes',
    # ======== resample ========
    # ---- interpolate ----
    'interpolate#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'interpolate#p002-numpy': '-inf@input: forward differs from torch (NaN/Inf placement or value)',
    'interpolate#p003-numpy': 'nan@input: forward differs from torch (NaN/Inf placement or value)',
    'interpolate#p004-numpy': '-inf@input: forward differs from torch (NaN/Inf placement or value)',
    'interpolate#p005-numpy': 'nan@input: forward differs from torch (NaN/Inf placement or value)',
    # ---- pixel_shuffle ----
    'pixel_shuffle#H=0-auto': 'H=0 nan@input: refuses the empty input; torch computes',
    'pixel_shuffle#c=0-auto': 'c=0 inf@input: refuses the empty input; torch computes',
    'pixel_shuffle#lead=0-auto': 'lead=0: refuses the empty input; torch computes',
    # ---- pixel_unshuffle ----
    'pixel_unshuffle#C=0-auto': 'C=0 nan@input: refuses the empty input; torch computes',
    'pixel_unshuffle#h=0-auto': 'h=0 -inf@input: refuses the empty input; torch computes',
    'pixel_unshuffle#lead=0-auto': 'lead=0: refuses the empty input; torch computes',
    # ======== activation ========
    # ---- dropout ----
    'dropout#p003-numpy': 'nan@input: forward: returns a NumPy scalar for 0-d input, not a 0-d array',
    'dropout#p004-numpy': 'nan@input: grad input: returns a NumPy scalar for 0-d input, not a 0-d array',
    # ---- dropout2d ----
    'dropout2d#p002-auto':
        'nan@input: refuses (input must be (N, C, H, W) or (N, C, L), got shape (2, 3, 2, 2,); torch computes',
    'dropout2d#p003-auto':
        '-inf@input: refuses (input must be (N, C, H, W) or (N, C, L), got shape (2, 3, 2, 2,); torch computes',
    'dropout2d#shape=4,5-auto':
        'shape=4,5 nan@input: refuses (input must be (N, C, H, W) or (N, C, L), got shape (4, 5)); torch computes',
    # ---- leaky_relu ----
    'leaky_relu#negative_slope=inf-auto':
        'negative_slope=inf: refuses (negative_slope must be a finite real number, got inf); torch computes',
    'leaky_relu#negative_slope=nan-auto':
        'negative_slope=nan nan@input: refuses (negative_slope must be a finite real number, got nan); torch computes',
    'leaky_relu#p003-auto': '-inf@input: grad input: returns a NumPy scalar for 0-d input, not a 0-d array',
    'leaky_relu#p003-numpy': '-inf@input: grad input: returns a NumPy scalar for 0-d input, not a 0-d array',
    'leaky_relu#p005-auto': 'nan@input: grad input: returns a NumPy scalar for 0-d input, not a 0-d array',
    'leaky_relu#p005-numpy': 'nan@input: grad input: returns a NumPy scalar for 0-d input, not a 0-d array',
    # ---- relu ----
    'relu#p001-naive': '-inf@input: forward differs from torch (NaN/Inf placement or value)',
    'relu#p001-numba': '-inf@input: forward differs from torch (NaN/Inf placement or value)',
    'relu#p001-numpy': '-inf@input: forward differs from torch (NaN/Inf placement or value)',
    'relu#p002-naive': 'nan@input: grad input differs from torch (NaN/Inf placement or value)',
    'relu#p002-numba': 'nan@input: grad input differs from torch (NaN/Inf placement or value)',
    'relu#p002-numpy': 'nan@input: grad input differs from torch (NaN/Inf placement or value)',
    'relu#p003-auto': 'inf@input: grad input: returns a NumPy scalar for 0-d input, not a 0-d array',
    'relu#p003-numpy': 'inf@input: grad input: returns a NumPy scalar for 0-d input, not a 0-d array',
    'relu#p005-naive': '-inf@input: forward differs from torch (NaN/Inf placement or value)',
    'relu#p005-numba': '-inf@input: forward differs from torch (NaN/Inf placement or value)',
    'relu#p005-numpy': '-inf@input: forward differs from torch (NaN/Inf placement or value)',
    # ---- sigmoid ----
    'sigmoid#p002-auto': 'inf@input: grad input: returns a NumPy scalar for 0-d input, not a 0-d array',
    'sigmoid#p002-numpy': 'inf@input: grad input: returns a NumPy scalar for 0-d input, not a 0-d array',
    'sigmoid#p004-auto': 'grad input: returns a NumPy scalar for 0-d input, not a 0-d array',
    'sigmoid#p004-numpy': 'grad input: returns a NumPy scalar for 0-d input, not a 0-d array',
    # ---- tanh ----
    'tanh#p001-auto': 'nan@input: forward: returns a NumPy scalar for 0-d input, not a 0-d array',
    'tanh#p001-numpy': 'nan@input: forward: returns a NumPy scalar for 0-d input, not a 0-d array',
    # ======== norm ========
    # ---- batch_norm ----
    'batch_norm#C=0-auto': 'C=0 -inf@weight: refuses the empty input; torch computes',
    'batch_norm#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'batch_norm#momentum=-0.5-auto':
        'momentum=-0.5 nan@running_mean: refuses (momentum must be a finite number >= 0.0, got -0.5); torch computes',
    'batch_norm#spatial=0-auto': 'spatial=0 nan@running_mean: refuses the empty input; torch computes',
    # ---- group_norm ----
    'group_norm#Cg=0-auto': 'Cg=0 inf@weight: refuses the empty input; torch computes',
    'group_norm#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'group_norm#eps=-0.001-auto':
        'eps=-0.001 -inf@bias: refuses (eps must be a finite number >= 0.0, got -0.001); torch computes',
    'group_norm#p004-auto':
        'accepted; torch refuses (ValueError: Expected more than 1 value per channel when training)',
    'group_norm#p004-cuda':
        'accepted; torch refuses (ValueError: Expected more than 1 value per channel when training)',
    'group_norm#p004-naive':
        'accepted; torch refuses (ValueError: Expected more than 1 value per channel when training)',
    'group_norm#p004-numba':
        'accepted; torch refuses (ValueError: Expected more than 1 value per channel when training)',
    'group_norm#p004-numpy':
        'accepted; torch refuses (ValueError: Expected more than 1 value per channel when training)',
    'group_norm#p005-cuda': 'inf@weight: grad weight differs from torch (NaN/Inf placement or value)',
    'group_norm#p005-naive': 'inf@weight: grad weight differs from torch (NaN/Inf placement or value)',
    'group_norm#p005-numba': 'inf@weight: grad input differs from torch (NaN/Inf placement or value)',
    'group_norm#p005-numpy': 'inf@weight: grad weight differs from torch (NaN/Inf placement or value)',
    'group_norm#spatial=0-auto': 'spatial=0 -inf@bias: refuses the empty input; torch computes',
    # ---- instance_norm ----
    'instance_norm#eps=-0.001-auto':
        'eps=-0.001 inf@running_mean: refuses (eps must be a finite number >= 0.0, got -0.001); torch computes',
    # ---- layer_norm ----
    'layer_norm#eps=-0.001-auto':
        'eps=-0.001 -inf@weight: refuses (eps must be a finite number >= 0.0, got -0.001); torch computes',
    'layer_norm#p002-auto':
        "nan@weight: accepted; torch refuses (TypeError: layer_norm(): argument 'normalized_shape' (position 2)",
    'layer_norm#p002-cuda':
        "nan@weight: accepted; torch refuses (TypeError: layer_norm(): argument 'normalized_shape' (position 2)",
    'layer_norm#p002-naive':
        "nan@weight: accepted; torch refuses (TypeError: layer_norm(): argument 'normalized_shape' (position 2)",
    'layer_norm#p002-numba':
        "nan@weight: accepted; torch refuses (TypeError: layer_norm(): argument 'normalized_shape' (position 2)",
    'layer_norm#p002-numpy':
        "nan@weight: accepted; torch refuses (TypeError: layer_norm(): argument 'normalized_shape' (position 2)",
    'layer_norm#p004-auto':
        "nan@bias: accepted; torch refuses (TypeError: layer_norm(): argument 'normalized_shape' (position 2)",
    'layer_norm#p004-cuda':
        "nan@bias: accepted; torch refuses (TypeError: layer_norm(): argument 'normalized_shape' (position 2)",
    'layer_norm#p004-naive':
        "nan@bias: accepted; torch refuses (TypeError: layer_norm(): argument 'normalized_shape' (position 2)",
    'layer_norm#p004-numba':
        "nan@bias: accepted; torch refuses (TypeError: layer_norm(): argument 'normalized_shape' (position 2)",
    'layer_norm#p004-numpy':
        "nan@bias: accepted; torch refuses (TypeError: layer_norm(): argument 'normalized_shape' (position 2)",
    'layer_norm#shape=0,3,2-auto': 'shape=0,3,2: refuses the empty input; torch computes',
    'layer_norm#shape=2,0-auto': 'shape=2,0 -inf@weight: refuses the empty input; torch computes',
    # ---- local_response_norm ----
    'local_response_norm#C=0-auto': 'C=0 -inf@input: refuses the empty input; torch computes',
    'local_response_norm#N=0-auto': 'N=0: refuses the empty input; torch computes',
    'local_response_norm#p004-naive':
        '-inf@input: grad input differs from torch (NaN/Inf placement or value)',
    'local_response_norm#p004-numba':
        '-inf@input: grad input differs from torch (NaN/Inf placement or value)',
    'local_response_norm#p004-numpy':
        '-inf@input: grad input differs from torch (NaN/Inf placement or value)',
    'local_response_norm#spatial=0-auto': 'spatial=0: refuses the empty input; torch computes',
    # ---- weight_norm ----
    'weight_norm#g=flat-auto':
        "g=flat nan@v: refuses (g must have shape (1, 3) (v's size along dim 1, 1 elsewhere), go); torch computes",
    'weight_norm#p001-auto':
        'inf@g: refuses (g must hold one value when dim is -1, got shape (6,)); torch computes',
    'weight_norm#p005-naive': 'inf@g: grad v differs from torch (NaN/Inf placement or value)',
    'weight_norm#p005-numba': 'inf@g: grad v differs from torch (NaN/Inf placement or value)',
    'weight_norm#p005-numpy': 'inf@g: grad v differs from torch (NaN/Inf placement or value)',
    'weight_norm#v=3,0,2-auto': 'v=3,0,2: refuses the empty input; torch computes',
}
