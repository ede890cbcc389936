"""Neural-network building blocks, as ``torch.nn``.

``Module`` and ``Parameter`` (``module.py``, ``parameter.py``), containers
(``containers.py``), layers (``modules/``), initialisers (``init.py``),
utilities (``utils/``); ``ember.nn.functional`` holds the functional ops,
``ember.nn.attention`` the choice of attention implementation.
"""

from ember.nn import functional, init, utils  # noqa: F401
from ember.nn.containers import *  # noqa: F401,F403
from ember.nn.module import *  # noqa: F401,F403
from ember.nn.modules import *  # noqa: F401,F403
from ember.nn.parameter import *  # noqa: F401,F403
# After the layers: ``modules`` has a submodule of the same name, which the star
# import above leaves as ``nn.attention`` (and ``from ember.nn import attention``
# would then return it without importing ours); importing the submodule by its
# full name binds ``nn.attention`` to it.
import ember.nn.attention as attention  # noqa: E402,F401
