"""``torch.special``'s Bessel and Airy functions: airy_ai, bessel_j0,
bessel_j1, bessel_y0, bessel_y1, modified_bessel_i0, modified_bessel_i1,
modified_bessel_k0, modified_bessel_k1, scaled_modified_bessel_k0,
scaled_modified_bessel_k1 and spherical_bessel_j0.

The numerics are in ``ops/_bessel_kernels.py`` (its docstring gives the
methods); I0 and I1 are the kernels of ``i0`` and ``i1``. Everything runs
in float64 and is rounded once to the input's dtype. Measured against mpmath
in float64: within ~2e-15 of each function's scale (|f(x)|, or for the
oscillating ones their envelope sqrt(2 / (pi x)), resp. pi^(-1/2) |x|^(-1/4)
for Ai), at any x. PyTorch's own float64 results are less accurate in
places: J0, J1, Y0 and Y1 are off by up to ~1e-6 absolute between 3 and 8,
Ai by up to ~3e-6 between -3 and -2, and the oscillating functions lose
~x * 1e-16 absolute for large x (their phase x - pi/4 is formed in float64).
Tests compare with PyTorch within its error and with SciPy and mpmath
tightly.

As in PyTorch these functions have no derivatives: their results never
require grad, so a backward through them raises as for any tensor outside
the graph. Integer and bool inputs are promoted to the default float;
float16 and bfloat16 are refused, as PyTorch has no kernels for them.
"""

import numpy as np

from ember.autograd.function import Function
from ember.backend import dtype as _dt
from ember.ops._bessel_kernels import _airy_ai, _bessel_jy, _bessel_k, _spherical_j0
from ember.ops._special_kernels import _NAN, _bessel_i
from ember.ops._util import check_tensor, float_operand
from ember.ops.comparison import _apply, _quiet
from ember.tensor import Tensor

__all__ = []  # torch.special names only: reached through ember.special

__special__ = ("airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1",
               "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
               "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
               "spherical_bessel_j0")


class Kernel(Function):
    """``kernel(xp, *arrays, *args)`` on the arrays in float64, rounded once to
    ``dtype``. No backward: it is applied to detached inputs, so its result
    never requires grad (PyTorch records no gradient for these functions)."""

    @staticmethod
    def forward(ctx, kernel, dtype, args, *arrays):
        xp = ctx.xp
        with _quiet():  # inf and nan are ordinary results (poles, overflow)
            out = kernel(xp, *(a.astype(np.float64, copy=False) for a in arrays), *args)
        return xp.asarray(out).astype(dtype, copy=False)


def _refuse_half(dtype, op):
    if dtype in (_dt.float16, _dt.bfloat16):
        raise NotImplementedError(f"{op}: expected a float32 or float64 tensor, got {dtype} "
                                  f"(PyTorch has no {dtype} kernel for {op} either)")


def run_kernel(op, kernel, dtype, tensors, args=()):
    """``kernel`` on ``tensors`` (already of ``dtype``) through :class:`Kernel`, detached."""
    detached = [t.detach() if isinstance(t, Tensor) else t for t in tensors]
    return _apply(Kernel, op, kernel, dtype.np, args, *detached)


def _unary(op, kernel, input, *args):
    x = float_operand(check_tensor(input, op))
    _refuse_half(x.dtype, op)
    return run_kernel(op, kernel, x.dtype, (x,), args)


def _bessel_i_torch(xp, x, order):
    """I0 or I1, nan at +-inf as PyTorch's modified_bessel_i0/i1 (its i0 gives inf there)."""
    return xp.where(xp.isinf(x), _NAN, _bessel_i(xp, x, order))


def airy_ai(input):
    """The Airy function Ai(input) (torch.special.airy_ai), elementwise.

    Maclaurin series near 0, K_{1/3} above and J_{+-1/3} below (see
    ``ops/_bessel_kernels.py``). For x < 0 the phase (2/3)|x|^(3/2) is carried
    in double-double, so Ai is right to ~1e-15 of its envelope up to |x| ~
    1e10 (PyTorch's float64 drifts from |x| ~ 1e3 on: ~1e-9 at 1e5, 1e-3 at
    1e8). Ember keeps Ai's tiny values up to x ~ 107 (subnormal from ~104),
    where PyTorch returns 0 above 103.892. As PyTorch, nan at +-inf. No
    gradient (as PyTorch).
    """
    return _unary("airy_ai", _airy_ai, input)


def bessel_j0(input):
    """The Bessel function of the first kind of order 0 (torch.special.bessel_j0).

    Even; 1 at 0; nan at +-inf as PyTorch. Accurate to ~1e-16 absolute at any
    x (PyTorch's float64 is off by up to ~4e-7 between 3 and 8). No gradient
    (as PyTorch).
    """
    return _unary("bessel_j0", _bessel_jy, input, 0, "j")


def bessel_j1(input):
    """The Bessel function of the first kind of order 1 (torch.special.bessel_j1).

    Odd (J1(-0.0) = -0.0); nan at +-inf as PyTorch. No gradient (as PyTorch).
    """
    return _unary("bessel_j1", _bessel_jy, input, 1, "j")


def bessel_y0(input):
    """The Bessel function of the second kind of order 0 (torch.special.bessel_y0).

    -inf at 0, nan below 0 and at +-inf, as PyTorch. No gradient (as PyTorch).
    """
    return _unary("bessel_y0", _bessel_jy, input, 0, "y")


def bessel_y1(input):
    """The Bessel function of the second kind of order 1 (torch.special.bessel_y1).

    -inf at 0 (and where -2 / (pi x) overflows), nan below 0 and at +-inf, as
    PyTorch. No gradient (as PyTorch).
    """
    return _unary("bessel_y1", _bessel_jy, input, 1, "y")


def modified_bessel_i0(input):
    """The modified Bessel function of the first kind of order 0
    (torch.special.modified_bessel_i0): the values of ``i0``, but nan at +-inf
    as PyTorch's. I0 overflows float64 at |x| ~ 713.99; PyTorch gives inf from
    ~709.78 on. No gradient (as PyTorch; ``ember.special.i0`` has one).
    """
    return _unary("modified_bessel_i0", _bessel_i_torch, input, 0)


def modified_bessel_i1(input):
    """The modified Bessel function of the first kind of order 1
    (torch.special.modified_bessel_i1): the values of ``i1``, but nan at +-inf
    as PyTorch's. No gradient (as PyTorch).
    """
    return _unary("modified_bessel_i1", _bessel_i_torch, input, 1)


def modified_bessel_k0(input):
    """The modified Bessel function of the second kind of order 0
    (torch.special.modified_bessel_k0): inf at 0, nan below 0, 0 at inf.
    No gradient (as PyTorch).
    """
    return _unary("modified_bessel_k0", _bessel_k, input, 0, False)


def modified_bessel_k1(input):
    """The modified Bessel function of the second kind of order 1
    (torch.special.modified_bessel_k1): inf at 0, nan below 0, 0 at inf.
    No gradient (as PyTorch).
    """
    return _unary("modified_bessel_k1", _bessel_k, input, 1, False)


def scaled_modified_bessel_k0(input):
    """e^x K_0(x) (torch.special.scaled_modified_bessel_k0), computed without
    forming e^x: finite for every x > 0, 0 at inf, inf at 0, nan below 0.
    No gradient (as PyTorch).
    """
    return _unary("scaled_modified_bessel_k0", _bessel_k, input, 0, True)


def scaled_modified_bessel_k1(input):
    """e^x K_1(x) (torch.special.scaled_modified_bessel_k1), computed without
    forming e^x: finite for every x > 0, 0 at inf, inf at 0, nan below 0.
    No gradient (as PyTorch).
    """
    return _unary("scaled_modified_bessel_k1", _bessel_k, input, 1, True)


def spherical_bessel_j0(input):
    """The spherical Bessel function of the first kind of order 0, sin(x) / x
    (torch.special.spherical_bessel_j0): 1 at 0, 0 at +-inf. No gradient (as
    PyTorch).
    """
    return _unary("spherical_bessel_j0", _spherical_j0, input)
