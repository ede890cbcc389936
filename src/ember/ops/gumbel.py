"""Gumbel-softmax sampling (``ember.nn.functional.gumbel_softmax``).

A differentiable relaxation of drawing one category from ``softmax(logits)``
(Jang et al. 2016, Maddison et al. 2016): add Gumbel(0, 1) noise to the
logits and take a softmax at temperature ``tau``. As tau -> 0 the samples
approach one-hot vectors whose argmax is distributed as softmax(logits).
"""

from ember.autograd.grad_mode import no_grad
from ember.ops._util import check_tensor, wrap_dim
from ember.ops.activation import softmax
from ember.ops.creation import empty_like, zeros_like

__all__ = ["gumbel_softmax"]


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Sample from the Gumbel-softmax distribution, optionally discretised.

    ``softmax((logits + g) / tau, dim)`` with ``g = -log(E)``, ``E ~ Exp(1)``
    drawn from Ember's default generator (``ember.manual_seed`` makes it
    reproducible; the draws are not PyTorch's).

    Args:
        logits: (..., num_features) unnormalised log-probabilities.
        tau: the temperature (non-negative).
        hard: return one-hot vectors (the argmax of the soft sample) that are
            differentiated as the soft sample (straight-through estimator).
        eps: unused, kept for PyTorch compatibility (deprecated there too).
        dim: the dimension holding the categories. Default: -1.

    Returns:
        A tensor of ``logits``' shape: probability vectors along ``dim``, or
        one-hot vectors with ``hard=True``.
    """
    check_tensor(logits, "gumbel_softmax", "logits")
    if not logits.dtype.is_floating_point:
        raise RuntimeError(f"gumbel_softmax: expected floating-point logits, got "
                           f"{logits.dtype}")
    dim = wrap_dim(dim, logits.ndim, "gumbel_softmax")
    with no_grad():
        gumbels = -empty_like(logits).exponential_().log()
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.detach().argmax(dim, keepdim=True)
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    # Value: the one-hot y_hard; gradient: that of y_soft.
    return y_hard - y_soft.detach() + y_soft
