"""Variable-length sequences, as ``torch.nn.utils.rnn``'s: ``pad_sequence``,
``unpad_sequence``, and packed batches (``PackedSequence``, ``pack_padded_sequence``,
``pad_packed_sequence``, ``pack_sequence``, ``unpack_sequence``).

A packed batch holds, time step by time step, the entries of the sequences
still running at that step, longest sequences first: ``data`` (sum of the
lengths, *), ``batch_sizes`` (how many sequences run at each step),
and the permutation that sorted the batch by length. Recurrent layers take
one and return one, each sequence run to its own length.
"""

from collections import namedtuple

import numpy as np

from ember.ops.creation import full
from ember.ops.indexing import index_put
from ember.ops.reduce import constant
from ember.ops.shape import cat, stack
from ember.tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
           "unpack_sequence", "pad_sequence", "unpad_sequence"]


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A batch of sequences packed time step by time step (see the module docstring).

    Fields: ``data`` (sum of lengths, *), ``batch_sizes`` (int64, one per step),
    ``sorted_indices`` and ``unsorted_indices`` (the permutation to and from
    longest-first order, or None when the batch came sorted).
    """

    def __new__(cls, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            order = np.asarray(sorted_indices.numpy())
            unsorted_indices = _index(np.argsort(order))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The same packing with ``data`` moved or cast (``Tensor.to``'s arguments)."""
        return self._replace(data=self.data.to(*args, **kwargs))

    def cpu(self):
        """``data`` on the CPU."""
        return self._replace(data=self.data.cpu())

    def cuda(self, *args, **kwargs):
        """``data`` on a CUDA device."""
        return self._replace(data=self.data.cuda(*args, **kwargs))

    def float(self):
        """``data`` as float32."""
        return self._replace(data=self.data.float())

    def double(self):
        """``data`` as float64."""
        return self._replace(data=self.data.double())

    def half(self):
        """``data`` as float16."""
        return self._replace(data=self.data.half())

    def long(self):
        """``data`` as int64."""
        return self._replace(data=self.data.long())

    def int(self):
        """``data`` as int32."""
        return self._replace(data=self.data.int())

    @property
    def is_cuda(self):
        """Whether ``data`` is on a CUDA device."""
        return self.data.is_cuda

    def lengths(self):
        """Each sequence's length, in the batch's original order (NumPy int64)."""
        lengths = _conjugate(np.asarray(self.batch_sizes.numpy()))
        if self.unsorted_indices is not None:
            lengths = lengths[self.unsorted_indices.numpy()]
        return lengths


def _index(values):
    return constant(np.asarray(values, np.int64))


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *)) of sequences of ``lengths``.

    Args:
        lengths: each sequence's length (a list, tuple or CPU tensor), all >= 1.
        enforce_sorted: the lengths must come in decreasing order; with False any
            order is accepted and the permutation is recorded.
    """
    lengths = np.asarray(lengths.numpy() if isinstance(lengths, Tensor) else lengths,
                         np.int64).reshape(-1)
    x = input.transpose(0, 1) if batch_first else input
    if lengths.shape[0] != x.shape[1]:
        raise ValueError(f"pack_padded_sequence: expected {x.shape[1]} lengths (the batch), "
                         f"got {lengths.shape[0]}")
    if (lengths <= 0).any() or (lengths > x.shape[0]).any():
        raise RuntimeError(f"pack_padded_sequence: lengths must be in [1, {x.shape[0]}], got "
                           f"{lengths.tolist()}")
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise RuntimeError("pack_padded_sequence: `lengths` array must be sorted in "
                               "decreasing order when `enforce_sorted` is True. You can pass "
                               "`enforce_sorted=False` to pack_padded_sequence and/or "
                               "pack_sequence to sidestep this requirement if you do not need "
                               "ONNX exportability.")
        sorted_idx = unsorted_idx = None
    else:
        order = np.argsort(-lengths, kind="stable")
        x = x.index_select(1, _index(order))
        lengths = lengths[order]
        sorted_idx, unsorted_idx = _index(order), _index(np.argsort(order))
    sizes = _conjugate(lengths)
    steps, rows = _positions(sizes)
    data = x[_index(steps), _index(rows)]  # every running entry, step by step: one gather
    return PackedSequence(data, _index(sizes), sorted_idx, unsorted_idx)


def _conjugate(counts):
    """Batch sizes per step from decreasing lengths, or the lengths back from the
    batch sizes: entry i counts the values greater than i (the two are conjugate)."""
    return (counts[None, :] > np.arange(int(counts[0]))[:, None]).sum(1)


def _positions(sizes):
    """(step, batch row) of every packed entry, in packed order."""
    steps = np.repeat(np.arange(len(sizes)), sizes)
    rows = np.concatenate([np.arange(int(b)) for b in sizes]) if len(sizes) else \
        np.zeros(0, np.int64)
    return steps, rows


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The padded batch of a ``PackedSequence`` and each sequence's length (int64).

    Args:
        total_length: pad to this many steps (at least the longest sequence).
    Returns:
        (padded (T, B, *) or (B, T, *), lengths), in the batch's original order.
    """
    sizes = [int(b) for b in np.asarray(sequence.batch_sizes.numpy())]
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"pad_packed_sequence: expected total_length to be at least the "
                             f"length of the longest sequence ({steps}), got {total_length}")
        steps = total_length
    data = sequence.data
    at_step, at_row = _positions(np.asarray(sizes))
    padded = full((steps, sizes[0]) + tuple(data.shape[1:]), padding_value, dtype=data.dtype,
                  device=data.device)
    padded = index_put(padded, (_index(at_step), _index(at_row)), data)  # one scatter
    lengths = sequence.lengths()
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
    return (padded.transpose(0, 1) if batch_first else padded), Tensor._wrap(
        np.asarray(lengths, np.int64), False, None, 0)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of (L_i, *) tensors (``pad_sequence`` then ``pack_padded_sequence``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of tensors a ``PackedSequence`` holds, in the batch's original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths.numpy(), batch_first=True)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shape (L_i, *) into (L_max, B, *) (or (B, L_max, *) with
    ``batch_first``), filling with ``padding_value`` on ``padding_side``."""
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got "
                         f"{padding_side!r}")
    for s in sequences:
        if not isinstance(s, Tensor) or s.ndim == 0:
            raise TypeError("pad_sequence: expected a list of tensors of at least one "
                            "dimension")
        if tuple(s.shape[1:]) != tuple(sequences[0].shape[1:]):
            raise RuntimeError(f"pad_sequence: trailing dimensions differ: "
                               f"{tuple(sequences[0].shape[1:])} and {tuple(s.shape[1:])}")
    longest = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = full((missing,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype,
                        device=s.device)
            s = cat([s, fill] if padding_side == "right" else [fill, s])
        rows.append(s)
    return stack(rows, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences ``pad_sequence`` stacked, cut back to ``lengths``."""
    padded = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [padded[i, :int(n)] for i, n in enumerate(lengths)]
