"""``ember.amp.autocast_mode`` (``torch.amp.autocast_mode``): the autocast region
and its state functions. They live with the ops (``ember/ops/_autocast.py``),
which consult the region at their entry; this module is their public path."""

from ember.ops._autocast import *  # noqa: F401,F403
from ember.ops._autocast import __all__  # noqa: F401
