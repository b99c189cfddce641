"""A subset of DeepBench's inference (server) convolutions, batch N instead of 1-4
(baidu-research/DeepBench, code/kernels/conv_problems.h: w, h, c, n, k, s, r, pad_w,
pad_h, wstride, hstride): speech (DeepSpeech, wide non-square kernels), OCR, face
recognition, vision (VGG/ResNet/GoogLeNet) layers."""
from harness.suites import BATCH as N
from harness.suites import Entry, suite

_PROBLEMS = [  # (W, H, C, K, S, R, pad_w, pad_h, stride_w, stride_h) as in the header
    (700, 161, 1, 32, 20, 5, 0, 0, 2, 2),
    (341, 79, 32, 32, 10, 5, 0, 0, 2, 2),
    (480, 48, 1, 16, 3, 3, 1, 1, 1, 1),
    (240, 24, 16, 32, 3, 3, 1, 1, 1, 1),
    (108, 108, 3, 64, 3, 3, 1, 1, 2, 2),
    (54, 54, 64, 64, 3, 3, 1, 1, 1, 1),
    (224, 224, 3, 64, 7, 7, 3, 3, 2, 2),
    (28, 28, 192, 32, 5, 5, 2, 2, 1, 1),
    (28, 28, 192, 64, 1, 1, 0, 0, 1, 1),
    (7, 7, 832, 256, 1, 1, 0, 0, 1, 1),
    (7, 7, 832, 128, 5, 5, 2, 2, 1, 1),
    (56, 56, 64, 256, 1, 1, 0, 0, 2, 2),
    (14, 14, 256, 256, 3, 3, 1, 1, 1, 1),
    (7, 7, 2048, 512, 1, 1, 3, 3, 2, 2),
    (350, 80, 64, 128, 5, 5, 1, 1, 2, 2),
    (42, 10, 512, 512, 3, 3, 1, 1, 1, 1),
]


def _entry(W, H, C, K, S, R, pw, ph, sw, sh):
    return Entry("conv2d", f"w{W}h{H}c{C}k{K}r{R}s{S}st{sh}",
                 ((N, C, H, W), (K, C, R, S), None), dict(stride=(sh, sw), padding=(ph, pw)))


suite("deepbench", __doc__, [_entry(*p) for p in _PROBLEMS])
