"""ember.utils: the module paths of ``torch.utils`` that scripts import from.

``ember.utils.data`` is ``ember.data`` itself (the same module object, so
``ember.utils.data.DataLoader is ember.data.DataLoader``), with its
submodules reachable under both names: ``from ember.utils.data.dataloader
import default_collate`` works as with torch. ``ember.utils.checkpoint``
holds activation checkpointing, ``ember.utils.dlpack`` DLPack exchange.
"""

import sys

from ember import data

# Register the alias paths before anything imports them: Python's import
# system finds a name in sys.modules first, so ``import ember.utils.data.sampler``
# then resolves to ``ember.data.sampler`` without a second copy of the module.
sys.modules[__name__ + ".data"] = data
for _sub in ("dataloader", "dataset", "sampler", "collate", "worker", "datasets", "transforms"):
    __import__("ember.data." + _sub)
    sys.modules[f"{__name__}.data.{_sub}"] = sys.modules["ember.data." + _sub]
del _sub

from ember.utils import checkpoint, dlpack  # noqa: E402 - after the aliases, not needing them

__all__ = ["data", "checkpoint", "dlpack"]
