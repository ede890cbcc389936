"""The layers, one family per module; ``ember.nn`` re-exports them all."""

from ember.nn.modules.activation import *  # noqa: F401,F403
from ember.nn.modules.adaptive import *  # noqa: F401,F403
from ember.nn.modules.attention import *  # noqa: F401,F403
from ember.nn.modules.container_legacy import *  # noqa: F401,F403
from ember.nn.modules.conv import *  # noqa: F401,F403
from ember.nn.modules.data_parallel import *  # noqa: F401,F403
from ember.nn.modules.distance import *  # noqa: F401,F403
from ember.nn.modules.dropout import *  # noqa: F401,F403
from ember.nn.modules.fold import *  # noqa: F401,F403
from ember.nn.modules.instancenorm import *  # noqa: F401,F403
from ember.nn.modules.lazy import *  # noqa: F401,F403
from ember.nn.modules.linear import *  # noqa: F401,F403
from ember.nn.modules.linear_ce import *  # noqa: F401,F403
from ember.nn.modules.loss import *  # noqa: F401,F403
from ember.nn.modules.margin_loss import *  # noqa: F401,F403
from ember.nn.modules.normalization import *  # noqa: F401,F403
from ember.nn.modules.padding import *  # noqa: F401,F403
from ember.nn.modules.pooling import *  # noqa: F401,F403
from ember.nn.modules.rnn import *  # noqa: F401,F403
from ember.nn.modules.shuffle import *  # noqa: F401,F403
from ember.nn.modules.sparse import *  # noqa: F401,F403
from ember.nn.modules.sync_batchnorm import *  # noqa: F401,F403
from ember.nn.modules.transformer import *  # noqa: F401,F403

# PyTorch's path of the Module class and the global module hooks:
# ``from torch.nn.modules.module import Module, register_module_forward_hook``.
import sys as _sys  # noqa: E402

from ember.nn import module  # noqa: E402,F401 - the same module object, nn.module

_sys.modules[__name__ + ".module"] = module
