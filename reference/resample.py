"""References for pixel_shuffle, pixel_unshuffle and interpolate: torch.nn.functional."""
import torch.nn.functional as F

from reference import ref

for _name in ("pixel_shuffle", "pixel_unshuffle", "interpolate"):
    ref(_name)(getattr(F, _name))
