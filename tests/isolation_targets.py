"""Functions for tests of harness.networks.isolate: importable by a spawned worker without
importing torch or kernels."""
import os
import time


def fail():
    raise RuntimeError("broken kernel")


def abort():
    os.abort()


def hang():
    time.sleep(60)


def double(x):
    return x * 2
