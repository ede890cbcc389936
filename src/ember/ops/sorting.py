"""Sorting and searching: sort, argsort, topk, kthvalue, nonzero, unique, searchsorted...

Value outputs (``sort``, ``topk``, ``kthvalue``, ``msort``) are gathered from
the input at the returned indices, so their gradient flows to exactly the
selected positions (a tie's gradient goes to the index returned), as in
PyTorch, and is differentiable again. Index and set outputs (``nonzero``,
``unique``, ``searchsorted``) carry no gradient.

Sorting is stable throughout: equal elements keep their order (in PyTorch
that is only guaranteed with ``stable=True``). NaN sorts above every number.
"""

from collections import namedtuple

import numpy as np

from ember.backend.device import xp_of
from ember.ops._util import check_tensor, fmt_shape, wrap_dim
from ember.ops.reduce import constant
from ember.ops.scatter import Gather
from ember.ops.views import reshape
from ember.tensor import Tensor

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "nonzero", "argwhere", "unique",
           "unique_consecutive", "searchsorted", "bucketize"]

# Named (values, indices) pairs, as torch.return_types.
SortResult = namedtuple("sort", ["values", "indices"])
TopKResult = namedtuple("topk", ["values", "indices"])
KthValueResult = namedtuple("kthvalue", ["values", "indices"])


def _stable_argsort(a, axis, descending):
    """Indices that sort ``a`` along ``axis``; ties keep their order in both directions."""
    xp = xp_of(a)
    argsort = (lambda v: np.argsort(v, axis=axis, kind="stable")) if xp is np else \
        (lambda v: xp.argsort(v, axis=axis))
    if not descending:
        return argsort(a)
    # Sorting the reversed array ascending and reading the result backwards
    # puts the largest first with ties in their original order, and NaN
    # (last ascending) first, as PyTorch does; negating would break both.
    order = argsort(xp.flip(a, axis))
    return (a.shape[axis] - 1) - xp.flip(order, axis)


def _sorted_along(input, dim, descending, op):
    """``(x, axis, indices)``: ``input`` as at least 1-D and the sorting indices."""
    check_tensor(input, op)
    axis = wrap_dim(dim, input._array.ndim, op)
    x = reshape(input, (1,)) if input._array.ndim == 0 else input
    return x, axis, _stable_argsort(x._array, axis, descending)


def sort(input, dim=-1, descending=False, *, stable=False):
    """Sort along ``dim``; returns ``(values, indices)``, ``values = input.gather(dim, indices)``.

    ``stable`` is accepted for compatibility: the sort is always stable.
    """
    x, axis, idx = _sorted_along(input, dim, descending, "sort")
    values = Gather.apply(x, axis, idx)
    shape = input._array.shape
    return SortResult(reshape(values, shape), constant(idx.reshape(shape)))


def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort ``input`` along ``dim`` (``sort(...).indices``)."""
    _, _, idx = _sorted_along(input, dim, descending, "argsort")
    return constant(idx.reshape(input._array.shape))


def msort(input):
    """``input`` sorted along its first dimension (values only)."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) entries along ``dim`` and their indices.

    The result is always sorted (``sorted=False`` leaves the order to the
    implementation in PyTorch); among equal values the lower index comes first.
    """
    x, axis, idx = _sorted_along(input, dim, largest, "topk")
    n = x._array.shape[axis]
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {axis} of size {n}")
    idx = idx[(slice(None),) * axis + (slice(0, int(k)),)]
    values = Gather.apply(x, axis, idx)
    if input._array.ndim == 0:
        return TopKResult(reshape(values, ()), constant(idx.reshape(())))
    return TopKResult(values, constant(idx))


def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest entry (1-based) along ``dim`` and its index."""
    x, axis, idx = _sorted_along(input, dim, False, "kthvalue")
    n = x._array.shape[axis]
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise RuntimeError(f"kthvalue: k ({k}) is out of range for dimension {axis} of size {n} "
                           "(expected 1 <= k <= size)")
    idx = idx[(slice(None),) * axis + (slice(k - 1, k),)]
    values = Gather.apply(x, axis, idx)
    if input._array.ndim == 0 or not keepdim:
        shape = idx.shape[:axis] + idx.shape[axis + 1:] if input._array.ndim else ()
        values, idx = reshape(values, shape), idx.reshape(shape)
    return KthValueResult(values, constant(idx))


def nonzero(input, *, as_tuple=False):
    """Indices of the nonzero entries.

    Returns an int64 tensor of shape ``(count, input.dim())``, or with
    ``as_tuple=True`` one 1-D index tensor per dimension (a 0-d input counts
    as 1-D) - what ``where(condition)`` with one argument returns.
    """
    check_tensor(input, "nonzero")
    a = input._array
    xp = xp_of(a)
    if as_tuple:
        return tuple(constant(i.astype(np.int64, copy=False))
                     for i in xp.nonzero(a.reshape(1) if a.ndim == 0 else a))
    return constant(xp.argwhere(a).astype(np.int64, copy=False))


def argwhere(input):
    """Indices of the nonzero entries, shape ``(count, input.dim())`` (``nonzero(input)``)."""
    return nonzero(input)


def _with_extras(values, inverse, counts, return_inverse, return_counts):
    if not (return_inverse or return_counts):
        return values
    return (values,) + ((inverse,) if return_inverse else ()) + ((counts,) if return_counts else ())


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct entries (or slices along ``dim``) of ``input``, sorted.

    Returns:
        ``values``, then ``inverse`` (where each entry of ``input`` went: of
        ``input``'s shape, or of length ``input.size(dim)``) and ``counts``
        when asked for. NaNs are all distinct, as in PyTorch. The output is
        always sorted (``sorted=False`` leaves the order open) and carries no
        gradient.
    """
    check_tensor(input, "unique")
    a = input._array
    xp = xp_of(a)
    if dim is None:
        values, inverse, counts = xp.unique(a.reshape(-1), return_inverse=True,
                                            return_counts=True, equal_nan=False)
        inverse = inverse.reshape(a.shape)
    else:
        axis = wrap_dim(dim, a.ndim, "unique")
        values, inverse, counts = xp.unique(a, axis=axis, return_inverse=True,
                                            return_counts=True)
        inverse = inverse.reshape(-1)
    return _with_extras(constant(values), constant(inverse.astype(np.int64)),
                        constant(counts.astype(np.int64)), return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """``input`` with each run of equal consecutive entries (or slices along ``dim``) kept once.

    Returns ``values``, then ``inverse`` and ``counts`` when asked for, as ``unique``.
    """
    check_tensor(input, "unique_consecutive")
    a = input._array
    xp = xp_of(a)
    axis = 0 if dim is None else wrap_dim(dim, a.ndim, "unique_consecutive")
    rows = xp.moveaxis(a.reshape(-1) if dim is None else a, axis, 0)
    n = rows.shape[0]
    starts = xp.ones(n, bool)
    if n > 1:
        starts[1:] = (rows[1:] != rows[:-1]).reshape(n - 1, -1).any(axis=1)
    first = xp.nonzero(starts)[0]
    values = xp.moveaxis(rows[first], 0, axis)
    inverse = xp.cumsum(starts) - 1
    counts = xp.diff(xp.concatenate([first, xp.asarray([n])]))
    return _with_extras(constant(values), constant(inverse.reshape(a.shape if dim is None else -1)),
                        constant(counts.astype(np.int64)), return_inverse, return_counts)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Where each value of ``input`` would be inserted into ``sorted_sequence`` to keep it sorted.

    ``sorted_sequence`` is 1-D, or N-D with its leading dimensions equal to
    ``input``'s (one search per row). ``right`` (or ``side='right'``) returns
    the position after equal entries instead of before. ``sorter`` holds the
    indices that sort an unsorted ``sorted_sequence``.
    """
    check_tensor(sorted_sequence, "searchsorted", "sorted_sequence")
    if side not in (None, "left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if side == "left" and right:
        raise RuntimeError("searchsorted: side and right can't be set to opposites, got side "
                           "'left' and right=True")
    where = "right" if right or side == "right" else "left"
    seq = sorted_sequence._array
    xp = xp_of(seq)
    values = input._array if isinstance(input, Tensor) else xp.asarray(input)
    order = None
    if sorter is not None:
        order = check_tensor(sorter, "searchsorted", "sorter")._array
        if order.shape != seq.shape:
            raise RuntimeError(f"searchsorted: sorter must have the shape of sorted_sequence, "
                               f"got {fmt_shape(order.shape)} and {fmt_shape(seq.shape)}")
    dtype = np.int32 if out_int32 else np.int64
    if seq.ndim <= 1:
        out = xp.searchsorted(seq.reshape(-1), values, side=where,
                              sorter=None if order is None else order.reshape(-1))
        return constant(xp.asarray(out).astype(dtype))
    if values.ndim != seq.ndim or values.shape[:-1] != seq.shape[:-1]:
        raise RuntimeError(f"searchsorted: the leading dimensions of sorted_sequence "
                           f"{fmt_shape(seq.shape)} and input {fmt_shape(values.shape)} must "
                           "match (or sorted_sequence must be 1-D)")
    seq_rows = seq.reshape(-1, seq.shape[-1])
    val_rows = values.reshape(-1, values.shape[-1])
    ord_rows = None if order is None else order.reshape(seq_rows.shape)
    out = xp.empty(val_rows.shape, dtype)
    for r in range(seq_rows.shape[0]):
        out[r] = xp.searchsorted(seq_rows[r], val_rows[r], side=where,
                                 sorter=None if ord_rows is None else ord_rows[r])
    return constant(out.reshape(values.shape))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of ``input`` among the sorted 1-D ``boundaries``.

    With ``right=False`` the result ``i`` satisfies
    ``boundaries[i-1] < x <= boundaries[i]``; with ``right=True``,
    ``boundaries[i-1] <= x < boundaries[i]``.
    """
    check_tensor(boundaries, "bucketize", "boundaries")
    if boundaries._array.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries must be 1-D, got shape "
                           f"{fmt_shape(boundaries._array.shape)}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


__methods__ = ("sort", "argsort", "msort", "topk", "kthvalue", "nonzero", "argwhere", "unique",
               "unique_consecutive")
__inplace__ = ()
