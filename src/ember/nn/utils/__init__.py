"""Helpers around modules and parameters (``ember.nn.utils.clip_grad_norm_``...)."""

from ember.nn.utils import rnn  # noqa: F401
from ember.nn.utils import parametrize  # noqa: F401
from ember.nn.utils import parametrizations  # noqa: F401
from ember.nn.utils import fusion, init, stateless  # noqa: F401
from ember.nn.utils.clip_grad import *  # noqa: F401,F403
from ember.nn.utils.convert_parameters import *  # noqa: F401,F403
from ember.nn.utils.weight_norm import *  # noqa: F401,F403
from ember.nn.utils.spectral_norm import *  # noqa: F401,F403
from ember.nn.utils.fusion import *  # noqa: F401,F403
from ember.nn.utils.init import skip_init  # noqa: F401
