"""Activation functions as modules, as ``torch.nn``'s: each calls ``ember.nn.functional``.

Constructor arguments, attribute names and ``extra_repr`` text follow
PyTorch's exactly, so ``print(model)`` reads the same.
"""

import ember
from ember.nn import functional as F
from ember.nn.module import Module
from ember.nn.parameter import Parameter

__all__ = ["Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh",
           "SiLU", "Mish", "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink",
           "LeakyReLU", "LogSigmoid", "Softplus", "Softshrink", "PReLU", "Softsign",
           "Tanhshrink", "Softmin", "Softmax", "Softmax2d", "LogSoftmax"]


def _inplace_suffix(inplace, first):
    """PyTorch prints ``inplace=True`` only when set, after a comma unless it stands alone."""
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class _Elementwise(Module):
    """An activation without options: ``forward`` applies ``_fn``."""

    _fn = None

    def forward(self, input):
        return type(self)._fn(input)


class _InplaceOnly(Module):
    """An activation whose only option is ``inplace``."""

    _fn = None
    _show_inplace = True  # Hardsigmoid/Hardswish print nothing in PyTorch

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_suffix(self.inplace, True) if self._show_inplace else ""


class Threshold(Module):
    """y = x if x > threshold else value."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + _inplace_suffix(self.inplace, False)


class ReLU(_InplaceOnly):
    """y = max(0, x)."""

    _fn = staticmethod(F.relu)


class RReLU(Module):
    """Randomized leaky ReLU: slope drawn from U(lower, upper) in training, their mean in eval."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + _inplace_suffix(self.inplace, False)


class Hardtanh(Module):
    """y = clamp(x, min_val, max_val)."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: expected max_val > min_val, got min_val={min_val}, "
                             f"max_val={max_val}")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace_suffix(self.inplace, False)


class ReLU6(Hardtanh):
    """y = min(max(0, x), 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_suffix(self.inplace, True)


class Sigmoid(_Elementwise):
    """y = 1 / (1 + exp(-x))."""

    _fn = staticmethod(F.sigmoid)


class Hardsigmoid(_InplaceOnly):
    """y = clamp(x / 6 + 1/2, 0, 1)."""

    _fn = staticmethod(F.hardsigmoid)
    _show_inplace = False


class Tanh(_Elementwise):
    """y = tanh(x)."""

    _fn = staticmethod(F.tanh)


class SiLU(_InplaceOnly):
    """y = x * sigmoid(x) (swish)."""

    _fn = staticmethod(F.silu)


class Mish(_InplaceOnly):
    """y = x * tanh(softplus(x))."""

    _fn = staticmethod(F.mish)


class Hardswish(_InplaceOnly):
    """y = x * hardsigmoid(x)."""

    _fn = staticmethod(F.hardswish)
    _show_inplace = False


class ELU(Module):
    """y = x if x > 0 else alpha * (exp(x) - 1)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + _inplace_suffix(self.inplace, False)


class CELU(ELU):
    """y = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)


class SELU(_InplaceOnly):
    """y = scale * elu(x, alpha) with PyTorch's fixed self-normalising constants."""

    _fn = staticmethod(F.selu)


class GLU(Module):
    """Gated linear unit: splits ``dim`` in halves a, b and returns a * sigmoid(b)."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class GELU(Module):
    """y = x * Phi(x); ``approximate="tanh"`` uses the tanh formula."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Hardshrink(Module):
    """y = x if |x| > lambd else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class LeakyReLU(Module):
    """y = x if x >= 0 else negative_slope * x."""

    def __init__(self, negative_slope=1e-2, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + _inplace_suffix(self.inplace, False)


class LogSigmoid(_Elementwise):
    """y = log(sigmoid(x)), computed stably."""

    _fn = staticmethod(F.logsigmoid)


class Softplus(Module):
    """y = log(1 + exp(beta * x)) / beta; linear where beta * x > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softshrink(Module):
    """y = x - lambd if x > lambd, x + lambd if x < -lambd, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class PReLU(Module):
    """y = x if x >= 0 else weight * x, with a learned slope.

    Args:
        num_parameters: 1 (one slope shared by all channels) or the number of
            channels (dimension 1 of the input). Default: 1.
        init: the initial slope. Default: 0.25.

    Attributes:
        weight: (num_parameters,), filled with ``init``.
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(ember.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        """Fill the slopes with ``init``."""
        from ember.nn import init
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Softsign(_Elementwise):
    """y = x / (1 + |x|)."""

    _fn = staticmethod(F.softsign)


class Tanhshrink(_Elementwise):
    """y = x - tanh(x)."""

    _fn = staticmethod(F.tanhshrink)


class _SoftmaxBase(Module):
    _fn = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("dim", None)

    def forward(self, input):
        return type(self)._fn(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """exp(x_i) / sum_j exp(x_j) along ``dim``."""

    _fn = staticmethod(F.softmax)


class Softmin(_SoftmaxBase):
    """softmax(-x) along ``dim``."""

    _fn = staticmethod(F.softmin)


class LogSoftmax(_SoftmaxBase):
    """log(softmax(x)) along ``dim``, computed stably."""

    _fn = staticmethod(F.log_softmax)


class Softmax2d(Module):
    """Softmax over channels at every spatial location: input (N, C, H, W) or (C, H, W)."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input of 3 or 4 dimensions, got shape "
                             f"{tuple(input.shape)}")
        return F.softmax(input, -3)
