"""Embedding lookup (rows of a table by index) and one_hot.

The lookup gathers rows; its weight gradient scatter-adds the output
gradient back into a table of zeros (repeated indices add up), skipping
``padding_idx`` and optionally dividing by each index's frequency. That
scatter is linear in the gradient, so its own backward is a gather with the
same per-position factors: ``RowScatter`` and ``RowGather`` are each other's
backward, which makes every derivative order exact.
"""

import numpy as np

from ember.autograd.function import Function
from ember.autograd.grad_mode import is_grad_enabled, no_grad
from ember.backend.device import xp_of
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.indexing import ufunc_at
from ember.sparse_coo import SparseCooTensor
from ember.tensor import Tensor

__all__ = ["embedding", "one_hot"]


def _scaled(xp, rows, factor):
    return rows if factor is None else rows * xp.asarray(factor, rows.dtype)[..., None]


class Embedding(Function):
    """``weight[indices]``; the weight's gradient skips padding and may be scaled.

    With ``sparse``, a first-order gradient for a leaf weight on the CPU is a
    ``SparseCooTensor``: one row per looked-up index (padding left out), as
    PyTorch's. Otherwise (a weight computed from others, ``create_graph``,
    CUDA) it is the dense table.
    """

    @staticmethod
    def forward(ctx, weight, indices, grad_factor, sparse=False):
        ctx.indices, ctx.grad_factor, ctx.rows = indices, grad_factor, weight.shape[0]
        ctx.sparse = sparse
        return ctx.xp.take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, g):
        if ctx.sparse and ctx.xp is np and not is_grad_enabled() and \
                isinstance(ctx.edges[0][0], Tensor):
            return _sparse_rows(g._array, ctx.indices, ctx.grad_factor, ctx.rows), None, None, None
        return RowScatter.apply(g, ctx.indices, ctx.grad_factor, ctx.rows), None, None, None


def _sparse_rows(g, indices, factor, rows):
    """The weight gradient as a SparseCooTensor of the looked-up rows (factor 0,
    the padding index, drops a row; other factors scale it)."""
    flat = indices.reshape(-1)
    values = g.reshape(-1, g.shape[-1])
    if factor is not None:
        f = factor.reshape(-1)
        keep = f != 0
        flat, values = flat[keep], values[keep] * f[keep, None].astype(g.dtype)
    else:
        values = values.copy()  # its own array: the upstream gradient may be shared
    return SparseCooTensor(flat[None, :], values, (rows, g.shape[-1]))


class RowScatter(Function):
    """A (rows, D) table of zeros with ``factor * g`` added at row ``indices`` (repeats add)."""

    @staticmethod
    def forward(ctx, g, indices, factor, rows):
        ctx.indices, ctx.factor = indices, factor
        out = ctx.xp.zeros((rows, g.shape[-1]), g.dtype)
        values = _scaled(ctx.xp, g, factor)
        if ctx.xp is np and values.size >= _SORTED_ADD_MIN:
            _add_rows_sorted(out, indices.reshape(-1), values.reshape(-1, g.shape[-1]))
        else:
            ufunc_at(ctx.xp, "add", out, (indices,), values)
        return out

    @staticmethod
    def backward(ctx, gg):
        return RowGather.apply(gg, ctx.indices, ctx.factor), None, None, None


_SORTED_ADD_MIN = 16384  # elements; below it np.add.at's lower fixed cost wins


def _add_rows_sorted(out, indices, values):
    """out[indices[i]] += values[i] for every i, repeats summed in order of i.

    The rows are sorted by index (stably) and numbered within each index's run
    (rank 0, 1, ...). All rows of one rank have distinct indices, so each rank
    is one fancy-indexed ``+=``; a batch of tokens has few ranks with many rows.
    The ranks with fewer than ``_RANK_ROWS_MIN`` rows (the tails of frequent
    indices) are summed per index with one ``reduceat``, whose cost grows with
    the number of runs. Several times faster than ``np.add.at`` or a
    ``reduceat`` over every run.
    """
    order = np.argsort(indices, kind="stable")
    ordered = indices[order]
    size = ordered.size
    first = np.empty(size, bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    rank = np.arange(size) - np.repeat(starts, np.diff(np.append(starts, size)))
    per_rank = np.bincount(rank)  # non-increasing
    looped = int(np.count_nonzero(per_rank >= _RANK_ROWS_MIN))
    if looped:
        by_rank = np.argsort(rank, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(per_rank[:looped])))
        for r in range(looped):
            at = by_rank[bounds[r]:bounds[r + 1]]
            out[ordered[at]] += values[order[at]]
    if looped < per_rank.size:
        tail = np.flatnonzero(rank >= looped)
        tail_ordered = ordered[tail]
        runs = np.flatnonzero(np.concatenate(([True], tail_ordered[1:] != tail_ordered[:-1])))
        out[tail_ordered[runs]] += np.add.reduceat(values[order[tail]], runs, axis=0)


_RANK_ROWS_MIN = 64  # a rank with fewer rows joins the reduceat (bounds the loop to N / 64)


class RowGather(Function):
    """``factor * table[indices]``: the adjoint of RowScatter."""

    @staticmethod
    def forward(ctx, table, indices, factor):
        ctx.indices, ctx.factor, ctx.rows = indices, factor, table.shape[0]
        return _scaled(ctx.xp, ctx.xp.take(table, indices, axis=0), factor)

    @staticmethod
    def backward(ctx, g):
        return RowScatter.apply(g, ctx.indices, ctx.factor, ctx.rows), None, None


def _check_indices(input, rows, op):
    check_tensor(input, op)
    if input._array.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected input of an integer dtype (int64 or int32), got "
                        f"{input.dtype}")
    if input.numel():
        lo, hi = int(input._array.min()), int(input._array.max())
        bad = lo if lo < 0 else hi if hi >= rows else None
        if bad is not None:
            raise IndexError(f"{op}: index {bad} is out of range for a table of {rows} rows "
                             f"(valid indices: 0 to {rows - 1})")


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight`` (num_embeddings, embedding_dim) by the indices in ``input``.

    Args:
        input: an integer tensor of any shape; the output has shape
            ``input.shape + (embedding_dim,)``.
        padding_idx: this row receives no gradient (negative counts from the end).
        max_norm: rows looked up whose ``norm_type``-norm exceeds it are
            rescaled in place to norm ``max_norm`` first (as PyTorch, this
            modifies ``weight``).
        scale_grad_by_freq: divide each row's gradient by how often its index
            occurs in ``input``.
        sparse: give ``weight`` a sparse COO gradient (``SparseCooTensor``) of
            the looked-up rows, for ``optim.SGD``, ``Adagrad`` or ``SparseAdam``.

    Raises:
        IndexError: for an index outside ``[0, num_embeddings)``, naming it and the table size.
    """
    check_tensor(weight, "embedding", "weight")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: expected a 2-D weight (num_embeddings, embedding_dim), "
                           f"got shape {fmt_shape(weight.shape)}")
    if sparse and scale_grad_by_freq:
        raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with sparse "
                           "gradients")
    rows = weight.shape[0]
    _check_indices(input, rows, "embedding")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(f"embedding: padding_idx must be within the {rows} rows of weight, "
                             f"got {padding_idx}")
        padding_idx = padding_idx % rows
    xp = xp_of(weight._array)
    indices = xp.asarray(input._array).astype(np.int64, copy=False)
    if max_norm is not None:
        _renorm_rows(weight, indices, max_norm, norm_type)
    factor = None
    if scale_grad_by_freq or padding_idx is not None:
        factor = xp.ones(indices.shape, weight._array.dtype)
        if scale_grad_by_freq:
            counts = xp.bincount(indices.ravel(), minlength=rows)
            factor = factor / counts[indices]
        if padding_idx is not None:
            factor = factor * (indices != padding_idx)
    return Embedding.apply(weight, indices, factor, bool(sparse))


def _renorm_rows(weight, indices, max_norm, norm_type):
    """PyTorch's embedding_renorm_: scale rows over ``max_norm`` down to it, in place."""
    xp, data = xp_of(weight._array), weight._array
    used = xp.unique(indices.ravel())
    norms = (xp.abs(data[used]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(data.dtype)
    new = data.copy()
    new[used] = data[used] * scale[:, None]
    with no_grad():
        weight.copy_(Tensor._wrap(new, False, None, 0))


def one_hot(tensor, num_classes=-1):
    """An int64 tensor of shape ``tensor.shape + (num_classes,)`` with a 1 at each class.

    Args:
        num_classes: -1 infers ``tensor.max() + 1``.
    """
    check_tensor(tensor, "one_hot", "tensor")
    if tensor._array.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor of class indices, got "
                        f"{tensor.dtype}")
    data = tensor._array
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from empty "
                               "tensor; pass num_classes")
        num_classes = int(data.max()) + 1
    if data.size:
        lo, hi = int(data.min()), int(data.max())
        if lo < 0:
            raise RuntimeError(f"one_hot: class values must be non-negative, got {lo}")
        if hi >= num_classes:
            raise RuntimeError(f"one_hot: class values must be smaller than num_classes="
                               f"{num_classes}, got {hi}")
    xp = xp_of(data)
    out = (data[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._wrap(out, False, None, 0)
