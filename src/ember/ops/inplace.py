"""In-place ops: compute out of place, then write into the tensor's storage.

``x.add_(y)`` runs ``add`` on a snapshot of ``x`` (so what that op saves for
backward is not overwritten), writes the result into ``x._array`` and moves
``x`` to the new graph position. Views see the write (they share storage);
when ``x`` is a view, its base is rebased onto a ``CopySlices`` node so the
base's gradient sees the change too. The shared version counter is bumped,
which makes any earlier saved use of the old value fail at backward.
"""

import numpy as np

from ember.autograd.function import Function
from ember.autograd.grad_mode import _State
from ember.tensor import Tensor

__all__ = ["inplace", "commit_inplace", "check_inplace"]


def check_inplace(target, op, other_requires_grad=False):
    """Refuse in-place changes to leaves (or their views) that require grad."""
    if not _State.enabled:
        return
    if target.requires_grad and target.grad_fn is None:
        raise RuntimeError(f"{op}: a leaf tensor that requires grad is being used in an "
                           "in-place operation; wrap it in ember.no_grad() or work on a clone")
    base = target._base
    if base is not None and base.requires_grad and base.grad_fn is None and \
            (target.requires_grad or other_requires_grad):
        raise RuntimeError(f"{op}: a view of a leaf tensor that requires grad is being used "
                           "in an in-place operation")


# Ops whose in-place form, outside the graph, is one NumPy ufunc writing into
# the target (the optimizer-step case: no temporary, no second pass).
FAST_UFUNCS = {}


def inplace(target, fn, op, *args, **kwargs):
    """Apply ``fn(target, *args, **kwargs)`` in place on ``target``; returns target."""
    other_rg = any(isinstance(a, Tensor) and a.requires_grad for a in args)
    recording = _State.enabled and (target.requires_grad or other_rg)
    if not recording:
        ufunc = FAST_UFUNCS.get(fn)
        if ufunc is not None and len(args) == 1 and _fast_inplace(target, ufunc, args[0], kwargs):
            return target
    check_inplace(target, op, other_rg)
    src = snapshot(target) if recording else target
    result = fn(src, *args, **kwargs)
    if recording and target.requires_grad and not result.requires_grad:
        # A non-differentiable result (eq_, floor_...) still stands on the
        # graph, with gradient zero to the old value, as in PyTorch.
        result = src * 0.0 + result.to(src.dtype)
    return commit_inplace(target, result, op)


def _fast_inplace(target, ufunc, other, kwargs):
    td = target._array
    if td.dtype.kind != "f":
        return False
    if isinstance(other, Tensor):
        od = other._array
        if od.dtype != td.dtype or type(od) is not type(td) or od.ndim > td.ndim:
            return False
    elif type(other) in (float, int):
        od = other
    else:
        return False
    alpha = kwargs.get("alpha", 1) if kwargs else 1
    if kwargs and set(kwargs) != {"alpha"}:
        return False
    if alpha != 1:
        od = od * alpha
    try:
        if ufunc is np.true_divide:
            with np.errstate(all="ignore"):  # x / 0: inf or nan, silently as in PyTorch
                ufunc(td, od, out=td)
        else:
            ufunc(td, od, out=td)
    except ValueError:  # not broadcastable to the target: let the slow path explain
        return False
    target._bump_version()
    return True


def snapshot(t):
    """A copy of ``t``'s current value at ``t``'s current graph position."""
    s = Tensor._wrap(t._array.copy(), t.requires_grad, t.grad_fn, t._output_nr)
    return s


def commit_inplace(target, result, op):
    """Write ``result`` into ``target``'s storage and take over its graph position."""
    td, rd = target._array, result._array
    if not td.flags.writeable:
        raise RuntimeError(f"{op}: unsupported in-place operation on an expanded or otherwise "
                           "read-only view (several elements share one memory location); "
                           "clone() it first")
    if rd.shape != td.shape:
        try:
            import numpy as np
            if np.broadcast_shapes(rd.shape, td.shape) != td.shape:
                raise ValueError
        except ValueError:
            raise RuntimeError(f"{op}: output with shape {list(td.shape)} doesn't match the "
                               f"broadcast shape {list(np.broadcast_shapes(rd.shape, td.shape))}") from None
    if rd.dtype != td.dtype:
        from ember.backend.dtype import from_numpy_dtype
        rdt, tdt = from_numpy_dtype(rd.dtype), from_numpy_dtype(td.dtype)
        if rdt.category > tdt.category:
            raise RuntimeError(f"{op}: result type {rdt.name} can't be cast to the desired "
                               f"output type {tdt.name}")
        if result.requires_grad:
            result = result.to(tdt)
            rd = result._array
    td[...] = rd
    target._bump_version()
    if result.requires_grad and _State.enabled:
        base = target._base
        if base is not None and target._view_fn is not None:
            _rebase_view(target, base, result)
        else:
            target.grad_fn, target._output_nr = result.grad_fn, result._output_nr
            target.requires_grad = True
    return target


def _rebase_view(view, base, value):
    view_fn = view._view_fn
    old = Tensor._wrap(base._array, base.requires_grad, base.grad_fn, base._output_nr)
    new_base = CopySlices.apply(old, value, view_fn)
    base.grad_fn, base._output_nr, base.requires_grad = new_base.grad_fn, 0, True
    fresh = view_fn(base)
    view.grad_fn, view._output_nr, view.requires_grad = fresh.grad_fn, fresh._output_nr, True
    view._version = base._version


class CopySlices(Function):
    """``base`` with the region ``view_fn`` selects replaced by ``value``."""

    @staticmethod
    def forward(ctx, base, value, view_fn):
        out = base.copy()
        view_fn(Tensor._wrap(out, False, None, 0))._array[...] = value
        ctx.view_fn = view_fn
        return out

    @staticmethod
    def backward(ctx, g):
        view_fn = ctx.view_fn
        region = view_fn(g)
        from ember.ops.creation import zeros_like
        return CopySlices.apply(g, zeros_like(region), view_fn), region, None
