"""Optimizers (``ember.optim.SGD``, ``Adam``, ``AdamW``...) and learning-rate schedulers.

Same names, arguments, defaults and ``state_dict`` layout as ``torch.optim``;
``Lion`` is extra. Each step runs on raw NumPy/CuPy arrays, outside autograd.
Writing your own optimizer: see ``ember.optim.optimizer`` and docs/optim.md.
"""

from ember.optim.optimizer import Optimizer, required
from ember.optim.sgd import SGD
from ember.optim.adam import Adam, AdamW
from ember.optim.adagrad import Adagrad
from ember.optim.rmsprop import RMSprop
from ember.optim.adamax import Adamax
from ember.optim.nadam import NAdam
from ember.optim.radam import RAdam
from ember.optim.lion import Lion
from ember.optim.adadelta import Adadelta
from ember.optim.rprop import Rprop
from ember.optim.asgd import ASGD
from ember.optim.lbfgs import LBFGS
from ember.optim.adafactor import Adafactor
from ember.optim.muon import Muon
from ember.optim.sparse_adam import SparseAdam
from ember.optim import lr_scheduler
from ember.optim import swa_utils

__all__ = ["Optimizer", "required", "SGD", "Adam", "AdamW", "Adagrad", "SparseAdam", "RMSprop",
           "Adamax", "NAdam", "RAdam", "Lion", "Adadelta", "Rprop", "ASGD", "LBFGS", "Adafactor",
           "Muon", "lr_scheduler", "swa_utils"]
