"""References for unfold and fold: torch.nn.functional."""
import torch.nn.functional as F

from reference import ref

for _name in ("unfold", "fold"):
    ref(_name)(getattr(F, _name))
