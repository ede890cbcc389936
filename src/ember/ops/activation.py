"""Activations: softmax and log_softmax, the ReLU and ELU families, smooth gates.

Piecewise-linear activations (relu, hardtanh, leaky_relu, threshold, the
shrinks, hardsigmoid) share one backward: the gradient times the slope of
the piece each element fell on, a constant, so their second derivative is
zero as it should be. Smooth ones save their input or output and write the
backward with Ember ops; the gates (silu, mish, gelu, glu...) are
compositions of ops that already have differentiable backwards.
"""

import math
import warnings

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.autograd.grad_mode import is_grad_enabled
from ember.backend.device import xp_of
from ember.backend.random import rng
from ember.ops import elementwise as _ew
from ember.ops._util import check_tensor, float_operand, fmt_shape, wrap_dim
from ember.ops.inplace import inplace as _inplace
from ember.ops.reduce import constant
from ember.ops.views import split
from ember.tensor import Tensor

__all__ = ["softmax", "log_softmax", "softmin", "relu", "relu_", "relu6", "leaky_relu",
           "leaky_relu_", "hardtanh", "hardtanh_", "threshold", "threshold_", "hardshrink",
           "softshrink", "hardsigmoid", "hardswish", "elu", "elu_", "selu", "selu_", "celu",
           "celu_", "softplus", "logsigmoid", "silu", "mish", "gelu", "softsign", "tanhshrink",
           "glu", "prelu", "rrelu", "rrelu_"]

# SELU's constants (Klambauer et al., 2017), as PyTorch spells them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _const(array, like):
    """``array`` (a mask or a slope) as a Tensor of ``like``'s dtype, outside the graph.

    (NumPy gives scalars, not arrays, for 0-d results: asarray makes them arrays.)
    """
    return Tensor._wrap(xp_of(like._array).asarray(array, dtype=like._array.dtype), False, None, 0)


# --- softmax ---------------------------------------------------------------


class Softmax(Function):
    """exp(x) / sum(exp(x)) along ``dim``, with the max subtracted first."""

    row_major = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        if x.size == 0:
            y = x.copy()
        else:
            axis = dim if x.ndim else None
            with np.errstate(all="ignore"):  # a row of -inf (all masked) is nan, silently
                e = ctx.xp.exp(x - x.max(axis=axis, keepdims=True))
                # asarray: for 0-d x NumPy returns a scalar, which would not be saved as the output
                y = ctx.xp.asarray(e / e.sum(axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        gy = g * y
        # y is the graph's own output, so this is differentiable again.
        return gy - y * gy.sum(ctx.dim, keepdim=True), None


class LogSoftmax(Function):
    """x - log(sum(exp(x))) along ``dim``, with the max subtracted first."""

    row_major = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        if x.size == 0:
            y = x.copy()
        else:
            axis = dim if x.ndim else None
            with np.errstate(all="ignore"):  # a row of -inf (all masked) is nan, silently
                shifted = x - x.max(axis=axis, keepdims=True)
                y = ctx.xp.asarray(shifted - ctx.xp.log(ctx.xp.exp(shifted).sum(axis=axis,
                                                                                keepdims=True)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        # exp(y) is the softmax; taken from the graph's own output y, so the
        # second derivative flows through it.
        return g - _ew.exp(y) * g.sum(ctx.dim, keepdim=True), None


def _softmax_args(input, dim, dtype, op):
    check_tensor(input, op)
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the "
                      "call to include dim=X as an argument.", stacklevel=3)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    if dtype is not None:
        input = input.to(dtype)
    return float_operand(input), wrap_dim(dim, input.ndim, op)


def softmax(input, dim=None, dtype=None):
    """exp(input) / sum(exp(input)) along ``dim``; each slice sums to 1.

    Args:
        input: the tensor (integers are promoted to the default float).
        dim: the dimension to normalise over. None picks PyTorch's deprecated
            implicit choice (0 for 0-, 1- and 3-D input, else 1) and warns.
        dtype: cast the input to this dtype first.
    """
    x, dim = _softmax_args(input, dim, dtype, "softmax")
    return Softmax.apply(x, dim)


def log_softmax(input, dim=None, dtype=None):
    """log(softmax(input, dim)), computed stably in one pass (same Args as softmax)."""
    x, dim = _softmax_args(input, dim, dtype, "log_softmax")
    return LogSoftmax.apply(x, dim)


def softmin(input, dim=None, dtype=None):
    """softmax(-input, dim): small values get large weights."""
    x, dim = _softmax_args(input, dim, dtype, "softmin")
    return Softmax.apply(-x, dim)


# --- piecewise-linear activations ------------------------------------------


class _Piecewise(Function):
    """Base of activations linear on each piece: subclasses give ``pieces``.

    ``pieces(xp, x, *params)`` returns the output and the slope of the piece
    each element lies on; backward is the gradient times that constant slope.
    """

    @staticmethod
    def forward(ctx, x, *params):
        y, slope = ctx.fn.pieces(ctx.xp, x, *params)
        ctx.n_params = len(params)
        ctx.save_for_backward(ctx.xp.asarray(slope, dtype=x.dtype))
        return y

    @staticmethod
    def backward(ctx, g):
        (slope,) = ctx.saved_tensors
        return (g * slope,) + (None,) * ctx.n_params


class ReLU(Function):
    """max(x, 0) (NaN stays NaN); slope 0 at 0, as PyTorch.

    Saves its output, not a slope array: the backward passes the gradient
    where the output is not <= 0 (as PyTorch's threshold_backward, so nan
    passes it), and the forward is one pass.
    """

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.maximum(x, 0).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        positive = ~(y._array <= 0)  # nan passes the gradient, as in PyTorch
        if is_grad_enabled():  # create_graph=True: differentiable in g
            return (g * constant(positive.astype(y._array.dtype)),)
        return (constant(ctx.xp.multiply(g._array, positive, dtype=g._array.dtype)),)


class Hardtanh(_Piecewise):
    """x clipped to [min_val, max_val]; slope 1 strictly inside."""

    @staticmethod
    def pieces(xp, x, min_val, max_val):
        return xp.clip(x, min_val, max_val), (x > min_val) & (x < max_val)


class LeakyReLU(_Piecewise):
    """x where x > 0, else x * negative_slope (a number or, for rrelu, an array)."""

    @staticmethod
    def pieces(xp, x, negative_slope):
        pos = x > 0
        return xp.where(pos, x, x * negative_slope), xp.where(pos, 1, negative_slope)


# The pieces below test for the replaced region, so NaN (which fails every
# comparison) passes through unchanged, as in PyTorch.


class Threshold(_Piecewise):
    """x where x > threshold, else value."""

    @staticmethod
    def pieces(xp, x, threshold, value):
        replaced = x <= threshold
        return xp.where(replaced, value, x).astype(x.dtype, copy=False), ~replaced


class Hardshrink(_Piecewise):
    """x where |x| > lambd, else 0."""

    @staticmethod
    def pieces(xp, x, lambd):
        zeroed = (x >= -lambd) & (x <= lambd)
        return xp.where(zeroed, 0, x).astype(x.dtype, copy=False), ~zeroed


class Softshrink(_Piecewise):
    """x - lambd above lambd, x + lambd below -lambd, else 0."""

    @staticmethod
    def pieces(xp, x, lambd):
        zeroed = (x >= -lambd) & (x <= lambd)
        y = xp.where(zeroed, 0, x - xp.sign(x) * lambd)
        return y.astype(x.dtype, copy=False), ~zeroed


class Hardsigmoid(_Piecewise):
    """relu6(x + 3) / 6; slope 1/6 strictly inside (-3, 3)."""

    @staticmethod
    def pieces(xp, x):
        return xp.clip(x / 6 + 0.5, 0, 1), ((x > -3) & (x < 3)) / 6


def _maybe_inplace(fn, input, inplace, op, *args, promote=True):
    """``fn(input, *args)``, written into ``input`` when ``inplace``.

    Out of place, integer inputs are promoted to the default float first
    (``promote``); in place, the result must fit ``input``'s own dtype.
    """
    check_tensor(input, op)
    if inplace:
        return _inplace(input, fn, op + "_", *args)
    return fn(float_operand(input) if promote else input, *args)


def relu(input, inplace=False):
    """max(input, 0), elementwise."""
    return _maybe_inplace(ReLU.apply, input, inplace, "relu", promote=False)


def relu_(input):
    """relu in place; returns ``input``."""
    return relu(input, inplace=True)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """input clipped to [min_val, max_val], elementwise."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got min_val="
                         f"{min_val} and max_val={max_val}")
    return _maybe_inplace(Hardtanh.apply, input, inplace, "hardtanh", min_val, max_val,
                          promote=False)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """hardtanh in place; returns ``input``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """min(max(input, 0), 6), elementwise."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """input where positive, else input * negative_slope."""
    return _maybe_inplace(LeakyReLU.apply, input, inplace, "leaky_relu", negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    """leaky_relu in place; returns ``input``."""
    return leaky_relu(input, negative_slope, inplace=True)


def threshold(input, threshold, value, inplace=False):
    """input where input > threshold, else value."""
    return _maybe_inplace(Threshold.apply, input, inplace, "threshold", threshold, value,
                          promote=False)


def threshold_(input, threshold, value):
    """threshold in place; returns ``input``."""
    return _maybe_inplace(Threshold.apply, input, True, "threshold", threshold, value,
                          promote=False)


def _check_lambd(lambd, op):
    if lambd < 0:
        raise ValueError(f"{op}: lambd must be >= 0, got {lambd}")


def hardshrink(input, lambd=0.5):
    """input where |input| > lambd, else 0."""
    _check_lambd(lambd, "hardshrink")
    return Hardshrink.apply(check_tensor(input, "hardshrink"), lambd)


def softshrink(input, lambd=0.5):
    """input shrunk toward 0 by lambd; 0 inside [-lambd, lambd]."""
    _check_lambd(lambd, "softshrink")
    return Softshrink.apply(float_operand(check_tensor(input, "softshrink")), lambd)


def hardsigmoid(input, inplace=False):
    """relu6(input + 3) / 6, a piecewise-linear sigmoid."""
    return _maybe_inplace(Hardsigmoid.apply, input, inplace, "hardsigmoid")


def hardswish(input, inplace=False):
    """input * hardsigmoid(input) (Howard et al., 2019)."""
    return _maybe_inplace(lambda t: t * Hardsigmoid.apply(t), input, inplace, "hardswish")


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU (Xu et al., 2015).

    Negative inputs are scaled by a slope drawn uniformly from [lower, upper]
    per element when ``training`` (from Ember's default generator, so
    ``ember.manual_seed`` makes it reproducible), else by (lower + upper) / 2.
    """
    if lower > upper:
        raise ValueError(f"rrelu: lower bound should be less than or equal to the upper bound, "
                         f"got lower={lower} and upper={upper}")
    check_tensor(input, "rrelu")
    slope = (lower + upper) / 2
    if training:
        dtype = float_operand(input)._array.dtype
        slope = xp_of(input._array).asarray(rng().uniform(lower, upper, input.shape).astype(dtype))
    return _maybe_inplace(LeakyReLU.apply, input, inplace, "rrelu", slope)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """rrelu in place; returns ``input``."""
    return rrelu(input, lower, upper, training, inplace=True)


# --- exponential-linear family -------------------------------------------


class ELU(Function):
    """scale * x for x > 0, else scale * alpha * (exp(x * input_scale) - 1).

    elu, selu and celu are this one op with different constants, as in PyTorch.
    """

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        xp = ctx.xp
        pos = x > 0
        # min(x, 0): exp of large positive x would overflow in the unused branch.
        neg = xp.expm1(xp.minimum(x, 0) * input_scale) * (alpha * scale)
        y = xp.where(pos, x * scale, neg)
        ctx.coef = (alpha * scale, scale, input_scale)
        ctx.save_for_backward(y, xp.asarray(pos, dtype=x.dtype))
        return y

    @staticmethod
    def backward(ctx, g):
        y, pos = ctx.saved_tensors
        neg_coef, scale, input_scale = ctx.coef
        # On the negative side dy/dx = input_scale * (y + alpha * scale): written
        # with the output y, which keeps this differentiable.
        slope = pos * scale + (1 - pos) * ((y + neg_coef) * input_scale)
        return g * slope, None, None, None


def elu(input, alpha=1.0, inplace=False):
    """input for input > 0, else alpha * (exp(input) - 1) (Clevert et al., 2015)."""
    return _maybe_inplace(ELU.apply, input, inplace, "elu", alpha, 1.0, 1.0)


def elu_(input, alpha=1.0):
    """elu in place; returns ``input``."""
    return elu(input, alpha, inplace=True)


def selu(input, inplace=False):
    """SELU_SCALE * elu(input, SELU_ALPHA): self-normalising (Klambauer et al., 2017)."""
    return _maybe_inplace(ELU.apply, input, inplace, "selu", SELU_ALPHA, SELU_SCALE, 1.0)


def selu_(input):
    """selu in place; returns ``input``."""
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) (Barron, 2017)."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (the formula divides by it)")
    return _maybe_inplace(ELU.apply, input, inplace, "celu", alpha, 1.0, 1.0 / alpha)


def celu_(input, alpha=1.0):
    """celu in place; returns ``input``."""
    return celu(input, alpha, inplace=True)


# --- smooth gates ----------------------------------------------------------


class Softplus(Function):
    """log(1 + exp(beta * x)) / beta; x itself where beta * x > threshold."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        xp = ctx.xp
        z = x * beta
        linear = z > threshold
        # max(z, 0) + log1p(exp(-|z|)) is log(1 + exp(z)) without overflow.
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        ctx.beta = beta
        ctx.save_for_backward(x, xp.asarray(linear, dtype=x.dtype))
        return xp.where(linear, x, soft)

    @staticmethod
    def backward(ctx, g):
        x, linear = ctx.saved_tensors
        slope = _ew.sigmoid(x * ctx.beta)
        if linear._array.any():
            slope = linear + (1 - linear) * slope
        return g * slope, None, None


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * input)) / beta, reverting to input where beta * input > threshold."""
    return Softplus.apply(float_operand(check_tensor(input, "softplus")), beta, threshold)


def logsigmoid(input):
    """log(sigmoid(input)) = -softplus(-input), computed without overflow."""
    x = float_operand(check_tensor(input, "logsigmoid"))
    return -Softplus.apply(-x, 1.0, math.inf)


def silu(input, inplace=False):
    """input * sigmoid(input), also called swish (Ramachandran et al., 2017)."""
    return _maybe_inplace(lambda t: t * _ew.sigmoid(t), input, inplace, "silu")


def mish(input, inplace=False):
    """input * tanh(softplus(input)) (Misra, 2019)."""
    return _maybe_inplace(lambda t: t * _ew.tanh(softplus(t)), input, inplace, "mish")


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_GELU_FAST = (np.dtype(np.float32),) + _ew._HALF  # dtypes of the float32 kernel


class Gelu(Function):
    """x * Phi(x), Phi the standard normal CDF, in one node.

    When the graph is recorded (``need_slope``) forward also computes the
    derivative Phi(x) + x phi(x) while Phi(x) is at hand, so the first-order
    backward (``GeluGrad``) is one multiplication; ``GeluGrad``'s own
    backward recomputes everything from x with Ember ops, so higher orders
    stay exact. Below float64 on NumPy, a float32 kernel does both in
    cache-sized blocks (``_ew._np_gelu``, about 4x faster than erf); float64,
    CuPy and tiny arrays use erf.
    """

    @staticmethod
    def forward(ctx, x, need_slope):
        xp = ctx.xp
        if xp is np and x.dtype in _GELU_FAST and x.size >= 256:  # (tiny: per element is faster)
            out, slope = _ew._np_gelu(x, need_slope)
        else:
            out, slope = _gelu_erf(xp, x, need_slope)
        ctx.slope = slope
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return GeluGrad.apply(g, x, ctx.slope), None


def _gelu_erf(xp, x, need_slope):
    """x * Phi(x) and (if needed) Phi(x) + x phi(x), from erf in x's dtype."""
    with _ew._quiet():  # -inf * 0 and x^2 overflowing give nan and 0 silently, as in PyTorch
        cdf = xp.asarray(_ew._special(xp, "erf")(xp.asarray(x * x.dtype.type(_SQRT_HALF))))
        cdf += 1
        cdf *= 0.5
        if not need_slope:
            return x * cdf, None
        slope = xp.asarray(x * x)  # (asarray: 0-d products come back as scalars)
        slope *= -0.5
        xp.exp(slope, out=slope)
        slope *= x.dtype.type(_INV_SQRT_2PI)
        slope *= x  # x phi(x)
        slope += cdf
        return x * cdf, slope


class GeluGrad(Function):
    """g * (Phi(x) + x phi(x)): GELU's derivative times g, given that slope as an array."""

    @staticmethod
    def forward(ctx, g, x, slope):
        ctx.save_for_backward(g, x)
        if g.dtype != slope.dtype:  # a half g with the float32 slope of the fast kernel
            return (g.astype(slope.dtype) * slope).astype(g.dtype)
        return ctx.xp.asarray(g * slope)  # (asarray: 0-d products come back as scalars)

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        pdf = _ew.exp(x * x * -0.5) * _INV_SQRT_2PI
        need = ctx.needs_input_grad
        dg = gg * ((_ew.erf(x * _SQRT_HALF) + 1) * 0.5 + x * pdf) if need[0] else None
        dx = gg * g * pdf * (2 - x * x) if need[1] else None  # d/dx (Phi + x phi) = phi (2 - x^2)
        return dg, dx, None


def gelu(input, approximate="none"):
    """input * Phi(input), Phi the standard normal CDF (Hendrycks & Gimpel, 2016).

    Args:
        approximate: 'none' for the exact erf form; 'tanh' for
            0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3))).
    """
    x = float_operand(check_tensor(input, "gelu"))
    if approximate == "none":
        return Gelu.apply(x, x.requires_grad and is_grad_enabled())
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2 / math.pi)
        return x * (_ew.tanh(inner) + 1) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def softsign(input):
    """input / (1 + |input|)."""
    x = float_operand(check_tensor(input, "softsign"))
    return x / (_ew.abs(x) + 1)


def tanhshrink(input):
    """input - tanh(input)."""
    x = float_operand(check_tensor(input, "tanhshrink"))
    return x - _ew.tanh(x)


def glu(input, dim=-1):
    """Gated linear unit: a * sigmoid(b), where a, b are the halves of ``input`` along ``dim``."""
    check_tensor(input, "glu")
    if input.ndim == 0:
        raise RuntimeError("glu: does not support 0-d tensors (the halved dimension must be even)")
    d = wrap_dim(dim, input.ndim, "glu")
    size = input.shape[d]
    if size % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {d} is size "
                           f"{size}")
    a, b = split(input, size // 2, d)
    return a * _ew.sigmoid(b)


def prelu(input, weight):
    """input where positive, else weight * input, with a learned slope per channel.

    Args:
        input: the tensor; channels are dimension 1 (0-d and 1-D inputs have one).
        weight: slopes, one element or one per channel.
    """
    if _amp.active:
        return _amp.run("prelu", prelu, input, weight)
    check_tensor(input, "prelu")
    check_tensor(weight, "prelu", "weight")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() not in (1, channels):
        raise RuntimeError(f"prelu: expected weight with 1 element or one per input channel "
                           f"({channels}), got shape {fmt_shape(weight.shape)}")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: expected a 0-D or 1-D weight, got shape "
                           f"{fmt_shape(weight.shape)}")
    if weight.numel() > 1:  # (C,) -> (C, 1, ..., 1): one slope per channel, dim 1
        weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    elif weight.ndim == 1 and input.ndim == 0:
        weight = weight.reshape(())
    pos = _const(input._array > 0, input)
    return input * (pos + (1 - pos) * weight)


__methods__ = ("softmax", "log_softmax", "relu", "hardshrink", "prelu")
__inplace__ = ("relu",)
