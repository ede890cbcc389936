"""``embedding_bag``: the sum, mean or max of bags of embedding rows, as PyTorch's.

A bag is a row of a 2-D index input, or a slice of a 1-D input between
consecutive ``offsets``. The rows are looked up with ``embedding`` and reduced
per bag with differentiable scatters (``index_add`` for sum and mean,
``scatter_reduce`` for max), so gradients of every order come from those ops.
Entries equal to ``padding_idx`` are left out of their bag (and of its count);
an empty bag gives zeros.
"""

import numpy as np

from ember.backend.device import xp_of
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.embedding import embedding
from ember.ops.reduce import constant
from ember.tensor import _host

__all__ = ["embedding_bag"]

_MODES = ("sum", "mean", "max")


def _bags(input, offsets, include_last_offset, op):
    """(flat indices, bag of each index, number of bags) on the host."""
    idx = _host(input._array)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected integer indices, got {input.dtype}")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{op}: offsets has to be None if input is 2D, got offsets of "
                             f"shape {fmt_shape(offsets.shape)}")
        bags, length = idx.shape
        return idx.reshape(-1), np.repeat(np.arange(bags), length), bags
    if idx.ndim != 1:
        raise ValueError(f"{op}: input has to be 1D or 2D, got {idx.ndim}D")
    if offsets is None:
        raise ValueError(f"{op}: offsets has to be a 1D Tensor but got None")
    starts = _host(offsets._array).reshape(-1).astype(np.int64)
    if starts.size == 0 or starts[0] != 0:
        raise ValueError(f"{op}: offsets[0] has to be 0, i.e., the first sequence in the "
                         f"mini-batch has to start from position 0")
    if (np.diff(starts) < 0).any() or starts[-1] > idx.size:
        raise ValueError(f"{op}: offsets must be non-decreasing and at most the input's "
                         f"length {idx.size}")
    if include_last_offset and starts[-1] != idx.size:
        raise ValueError(f"{op}: with include_last_offset the last offset must be the input's "
                         f"length {idx.size}, got {int(starts[-1])}")
    bounds = np.append(starts, idx.size) if not include_last_offset else starts
    bags = len(bounds) - 1
    owner = np.repeat(np.arange(bags), np.diff(bounds))
    return idx[:bounds[-1]], owner, bags


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Reduce bags of rows of ``weight`` (num_embeddings, D): one (D,) vector per bag.

    Args:
        input: (B, L) indices (B bags of L) or 1-D indices cut into bags by ``offsets``.
        offsets: (B,) start of each bag in a 1-D input (or B + 1 with
            ``include_last_offset``, the last being the end).
        mode: 'sum', 'mean' or 'max'.
        per_sample_weights: the input's shape; scales each row ('sum' only).
        padding_idx: entries with this index are left out of their bag.
        max_norm, norm_type, scale_grad_by_freq: as for ``embedding``.
        sparse: give ``weight`` a sparse COO gradient of the looked-up rows (not
            with mode 'max', as in PyTorch).
    Returns:
        (B, D).
    """
    op = "embedding_bag"
    check_tensor(input, op)
    check_tensor(weight, op, "weight")
    if mode not in _MODES:
        raise ValueError(f"{op}: mode has to be one of sum, mean or max, got {mode!r}")
    if sparse and mode == "max":
        raise ValueError(f"{op}: max mode does not support sparse weights")
    if per_sample_weights is not None:
        check_tensor(per_sample_weights, op, "per_sample_weights")
        if mode != "sum":
            raise NotImplementedError(f"{op}: per_sample_weights was not None. "
                                      f"per_sample_weights is only supported for mode='sum' "
                                      f"(got mode='{mode}'). Please open a feature request on "
                                      "GitHub.")
        if per_sample_weights.shape != input.shape:
            raise ValueError(f"{op}: expected per_sample_weights of the input's shape "
                             f"{fmt_shape(input.shape)}, got {fmt_shape(per_sample_weights.shape)}")
    idx, owner, bags = _bags(input, offsets, include_last_offset, op)
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(f"{op}: padding_idx must be within the {rows} rows of weight, got "
                             f"{padding_idx}")
        padding_idx %= rows
    if mode == "max" and scale_grad_by_freq:
        raise ValueError(f"{op}: max mode does not support scaling the gradient by the "
                         f"frequency")
    keep = idx != padding_idx if padding_idx is not None else np.ones(idx.shape, bool)
    xp = xp_of(weight._array)
    looked = embedding(constant(xp.asarray(idx[keep])), weight, max_norm=max_norm,
                       norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq,
                       sparse=sparse)
    if per_sample_weights is not None:
        w = per_sample_weights.reshape(-1)[: idx.size]
        looked = looked * w[constant(xp.asarray(np.flatnonzero(keep)))].unsqueeze(1)
    where = owner[keep]
    dim = weight.shape[1]
    zeros = constant(xp.zeros((bags, dim), weight._array.dtype))
    if mode == "max":
        index = constant(xp.asarray(np.repeat(where[:, None], dim, 1)))
        return zeros.scatter_reduce(0, index, looked, "amax", include_self=False)
    total = zeros.index_add(0, constant(xp.asarray(where)), looked)
    if mode == "sum":
        return total
    counts = np.maximum(np.bincount(where, minlength=bags), 1)
    return total / constant(xp.asarray(counts[:, None].astype(weight._array.dtype)))
