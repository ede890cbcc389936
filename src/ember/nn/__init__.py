"""Neural-network building blocks, as ``torch.nn``.

``Module`` and ``Parameter`` (``module.py``, ``parameter.py``), containers
(``containers.py``), layers (``modules/``), initialisers (``init.py``),
utilities (``utils/``); ``ember.nn.functional`` holds the functional ops.
"""

from ember.nn import functional, init, utils  # noqa: F401
from ember.nn.containers import *  # noqa: F401,F403
from ember.nn.module import *  # noqa: F401,F403
from ember.nn.modules import *  # noqa: F401,F403
from ember.nn.parameter import *  # noqa: F401,F403
