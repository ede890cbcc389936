"""Learning-rate schedulers, as ``torch.optim.lr_scheduler`` (plus ``WarmupCosineLR``).

Build one on an optimizer and call ``step()`` after each ``optimizer.step()``
(per epoch, or per batch for ``OneCycleLR`` and ``CyclicLR``);
``ReduceLROnPlateau.step(metric)`` takes the validation metric.
"""

from ember.optim.lr_scheduler.base import (ConstantLR, ExponentialLR, LambdaLR, LinearLR,
                                           LRScheduler, MultiplicativeLR, MultiStepLR,
                                           PolynomialLR, StepLR)
from ember.optim.lr_scheduler.cosine import (CosineAnnealingLR, CosineAnnealingWarmRestarts,
                                             OneCycleLR, WarmupCosineLR)
from ember.optim.lr_scheduler.cyclic import CyclicLR
from ember.optim.lr_scheduler.plateau import ReduceLROnPlateau
from ember.optim.lr_scheduler.composite import ChainedScheduler, SequentialLR

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
           "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "WarmupCosineLR", "OneCycleLR", "CyclicLR",
           "ReduceLROnPlateau", "SequentialLR", "ChainedScheduler"]
