"""Every op of ``kernels`` as an autograd-aware function of torch tensors (what
``torch.nn.functional`` is to torch): ``kernels.torch.functional.conv2d`` is
``kernels.torch.conv2d``.  Importing it loads the second-order rules
(``kernels.torch.derivatives``) and the custom operators (``kernels.torch.library``)."""
import kernels
from kernels.torch import derivatives  # noqa: F401  (fills the second-order rules)
from kernels.torch._function import bridge

__all__ = kernels.ops()

globals().update({name: bridge(name) for name in kernels.ops()})


def __getattr__(name):
    if name in kernels.OPS:  # an op registered after this module was imported
        fn = globals()[name] = bridge(name)
        return fn
    raise AttributeError(f"module 'kernels.torch' has no attribute {name!r} "
                         f"(not an op of kernels: {', '.join(kernels.ops())})")
