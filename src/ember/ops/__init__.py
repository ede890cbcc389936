"""Every differentiable op, defined once (forward and backward together).

Families live in their own modules; this package re-exports their public
functions (``ember.ops.add``...), which ``ember`` exports in turn. Losses
(``ember.ops.loss``) are reached through ``ember.nn.functional`` only, as in
PyTorch.
"""

from ember.ops import (activation, arithmetic, bitshift, convert, creation, decomp,
                       elementwise, fill, indexing, linalg, loss, lu, matrix_fns, numerical,
                       reduce, scatter, shape, sorting, special_fns, tensor_compat, tensor_extras,
                       tensor_stats, tensor_utils, views)
from ember.ops._util import as_operand, wrap_dim

# The modules whose functions become Tensor methods. Bound before the star
# imports below, which replace some module names by functions (ops.scatter).
FAMILIES = (activation, arithmetic, bitshift, convert, decomp, elementwise, fill, indexing,
            linalg, lu, matrix_fns, numerical, reduce, scatter, shape, sorting, special_fns, tensor_compat,
            tensor_extras, tensor_stats, tensor_utils, views)
from ember.ops.activation import *  # noqa: F401,F403
from ember.ops.arithmetic import *  # noqa: F401,F403
from ember.ops.bitshift import *  # noqa: F401,F403
from ember.ops.convert import *  # noqa: F401,F403
from ember.ops.creation import *  # noqa: F401,F403
from ember.ops.decomp import *  # noqa: F401,F403
from ember.ops.elementwise import *  # noqa: F401,F403
from ember.ops.fill import *  # noqa: F401,F403
from ember.ops.foreach import *  # noqa: F401,F403
from ember.ops.indexing import *  # noqa: F401,F403
from ember.ops.linalg import *  # noqa: F401,F403
from ember.ops.lu import *  # noqa: F401,F403
from ember.ops.matrix_fns import *  # noqa: F401,F403
from ember.ops.numerical import *  # noqa: F401,F403
from ember.ops.reduce import *  # noqa: F401,F403
from ember.ops.rnn import *  # noqa: F401,F403
from ember.ops.scatter import *  # noqa: F401,F403
from ember.ops.shape import *  # noqa: F401,F403
from ember.ops.sorting import *  # noqa: F401,F403
from ember.ops.special_fns import *  # noqa: F401,F403
from ember.ops.tensor_compat import *  # noqa: F401,F403
from ember.ops.tensor_extras import *  # noqa: F401,F403
from ember.ops.tensor_stats import *  # noqa: F401,F403
from ember.ops.tensor_utils import *  # noqa: F401,F403
from ember.ops.views import *  # noqa: F401,F403
from ember.ops.view_copies import *  # noqa: F401,F403
