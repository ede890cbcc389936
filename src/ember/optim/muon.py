"""Muon: momentum orthogonalized by Newton-Schulz iterations, for 2-D weight matrices."""

import math

import numpy as np

from ember.backend.device import xp_of
from ember.optim import _util
from ember.optim.optimizer import Optimizer

__all__ = ["Muon"]

_ADJUST_LR_FNS = ("original", "match_rms_adamw")


class Muon(Optimizer):
    r"""Muon (Jordan et al., 2024, "Muon: An optimizer for hidden layers in neural
    networks"), as ``torch.optim.Muon``.

    Per 2-D parameter of shape (A, B), with g the gradient::

        b = momentum * b + (1 - momentum) * g          (b starts at 0)
        u = momentum * b + (1 - momentum) * g   if nesterov   else   b
        o = NS(u)                                      (about the nearest semi-orthogonal matrix)
        p = p * (1 - lr * weight_decay)
        p = p - adjusted_lr * o

    ``NS`` normalizes u by its Frobenius norm (at least ``eps``), then runs
    ``ns_steps`` Newton-Schulz iterations with coefficients (a, b, c) on the wide
    orientation X (transposed when A > B)::

        M = X @ X.T;   X = a * X + (b * M + c * M @ M) @ X

    which push every singular value towards 1. As in PyTorch, the iterations
    run in bfloat16 (products accumulated in float32, each result rounded to
    bfloat16), emulated on float32 arrays, so the step equals PyTorch's for any
    parameter dtype: bit for bit on small matrices; on large ones the float32
    summation order of a matrix product may differ from PyTorch's and flip an
    occasional bfloat16 rounding (a relative change of about 2**-8 in a few entries).

    ``adjusted_lr`` keeps the update's RMS comparable across shapes:
    ``"original"`` (the default, Keller Jordan's) is ``lr * sqrt(max(1, A / B))``;
    ``"match_rms_adamw"`` (Moonshot's "Muon is Scalable for LLM Training") is
    ``0.2 * sqrt(max(A, B)) * lr``, so lr and weight decay tuned for AdamW carry over.

    Optimize only hidden 2-D weights with Muon; biases, norms and embeddings go
    to another optimizer such as AdamW.

    Args:
        params: 2-D parameters or param groups (see ``Optimizer``).
        lr: learning rate. Default: 1e-3.
        weight_decay: decoupled weight decay. Default: 0.1.
        momentum: momentum factor. Default: 0.95.
        nesterov: use Nesterov momentum. Default: True.
        ns_coefficients: (a, b, c) of the Newton-Schulz polynomial.
            Default: (3.4445, -4.775, 2.0315).
        eps: lower bound of the norm u is divided by. Default: 1e-7.
        ns_steps: Newton-Schulz iterations (< 100). Default: 5.
        adjust_lr_fn: ``"original"``, ``"match_rms_adamw"`` or None (``"original"``).
            Default: None.

    State per parameter: ``momentum_buffer``, an exponential average of the
    gradients as PyTorch's implementation keeps it (PyTorch's documented formula
    leaves out the ``1 - momentum``).

    Differs from PyTorch: bad ``ns_steps`` or ``ns_coefficients`` raise at
    construction (and in ``add_param_group``), not at the first step; a non-2-D
    parameter given to ``add_param_group`` raises there too.
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5,
                 adjust_lr_fn=None):
        if not lr >= 0.0:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr} (Muon expects lr >= 0)")
        if not momentum >= 0.0:
            raise ValueError(f"momentum should be >= 0 but is: {momentum} (Muon expects "
                             "momentum >= 0)")
        if not weight_decay >= 0.0:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay} (Muon "
                             "expects weight_decay >= 0)")
        if adjust_lr_fn is not None and adjust_lr_fn not in _ADJUST_LR_FNS:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported "
                             f"(Muon expects one of {_ADJUST_LR_FNS} or None)")
        _check_newton_schulz(ns_coefficients, ns_steps)
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)

    def add_param_group(self, param_group):
        """Add a param group of 2-D parameters (see ``Optimizer.add_param_group``)."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            if p.dim() != 2:
                self.param_groups.pop()
                raise ValueError("Muon only supports 2D parameters whereas we found a parameter "
                                 f"with size: {tuple(p.shape)}")
        _check_newton_schulz(group["ns_coefficients"], group["ns_steps"])

    def step(self, closure=None):
        """One Muon update of every parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, weight_decay, momentum = group["lr"], group["weight_decay"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param, grad = p._array, p.grad._array
                if grad.ndim != 2:
                    raise ValueError("Param gradient must be a 2D matrix (Muon got a gradient "
                                     f"of shape {grad.shape})")
                state = self.state[p]
                if len(state) == 0:
                    state["momentum_buffer"] = _util.zeros_like(p)
                buf = state["momentum_buffer"]._array
                buf[...] = _lerp(buf, grad, 1 - momentum)
                update = _lerp(grad, buf, momentum) if group["nesterov"] else buf
                ortho = _newton_schulz(update, group["ns_coefficients"], group["ns_steps"],
                                       group["eps"])
                param *= 1 - lr * weight_decay
                adjusted_lr = _adjusted_lr(lr, group["adjust_lr_fn"], *param.shape)
                param -= adjusted_lr * ortho.astype(param.dtype)
                p._bump_version()
        return loss


def _lerp(start, end, weight):
    """``start + weight * (end - start)``, computed from the nearer end as torch.lerp
    rounds it (so the float64 buffers equal PyTorch's bit for bit)."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def _check_newton_schulz(ns_coefficients, ns_steps):
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values (Muon got "
                         f"ns_coefficients={ns_coefficients!r})")
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency "
                         f"(Muon got ns_steps={ns_steps})")


def _adjusted_lr(lr, adjust_lr_fn, rows, cols):
    if adjust_lr_fn == "match_rms_adamw":
        return lr * (0.2 * math.sqrt(max(rows, cols)))
    return lr * math.sqrt(max(1, rows / cols))


def _newton_schulz(matrix, coefficients, steps, eps):
    """The Newton-Schulz orthogonalization of a 2-D array, in bfloat16 precision.

    Returns float32 values that are exactly representable in bfloat16.
    """
    xp = xp_of(matrix)
    a, b, c = coefficients
    x = _round_bf16(matrix)
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T  # iterate on the wide side: the Gram matrix is the smaller one
    # (1, 1) arrays rather than scalars, so that they stay on x's device
    norm = _round_bf16(xp.sqrt(xp.sum(x * x, keepdims=True)))
    x = _round_bf16(x / xp.maximum(norm, _round_bf16(xp.full((1, 1), eps, dtype=np.float32))))
    for _ in range(steps):
        gram = _round_bf16(x @ x.T)
        poly = _addmm_bf16(gram, gram, gram, beta=b, alpha=c)  # b * M + c * M @ M
        x = _addmm_bf16(x, poly, x, beta=a)                    # a * X + poly @ X
    return x.T if tall else x


def _addmm_bf16(bias, m1, m2, beta, alpha=1.0):
    """``beta * bias + alpha * m1 @ m2`` of bfloat16-valued float32 arrays, rounded to bfloat16.

    The product accumulates in float32 and is scaled by alpha; ``beta * bias``
    is then added with a single rounding (a fused multiply-add, exact in float64
    before the cast), which is how PyTorch's CPU kernel rounds.
    """
    scaled = (m1 @ m2) * np.float32(alpha)
    fused = np.float64(np.float32(beta)) * bias.astype(np.float64) + scaled.astype(np.float64)
    return _round_bf16(fused)


def _round_bf16(array):
    """Round to the nearest bfloat16 (ties to even), kept as float32.

    Wider floats go through float32 first, as PyTorch's cast to bfloat16 does.
    Works on NumPy and CuPy alike by rounding the float32 bit pattern to its
    upper 16 bits; NaN stays NaN.
    """
    xp = xp_of(array)
    x = xp.asarray(array, dtype=np.float32)
    bits = x.view(np.uint32)
    lower_bit = (bits >> 16) & np.uint32(1)
    rounded = (bits + np.uint32(0x7FFF) + lower_bit) & np.uint32(0xFFFF0000)
    return xp.where(xp.isnan(x), x, rounded.view(np.float32))
