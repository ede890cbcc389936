"""Recurrent layers on a ``PackedSequence``: each sequence runs to its own length.

The packed batch is unpacked longest-first. In time order the batch only
shrinks, so the steps split into segments over which the running batch is
fixed (one per distinct length); each segment runs as one layer call from
the states the previous segment left, on the sequences still running. A
sequence's final state is then the one its last segment left. The reverse
direction runs the same way on each sequence reversed within its own length.
"""

import numpy as np

from ember.nn import functional as F
from ember.nn.utils.rnn import PackedSequence, _conjugate, _positions, pad_packed_sequence
from ember.ops.creation import zeros
from ember.ops.reduce import constant
from ember.ops.shape import cat, stack


def _segments(lengths):
    """(start, stop, running) for each stretch of steps with a fixed running batch."""
    ends = sorted(set(int(n) for n in lengths))
    out, start = [], 0
    for end in ends:
        out.append((start, end, int((lengths >= end).sum())))
        start = end
    return out


def _run_segments(module, x, lengths, h, c, k):
    """Layer-direction ``k`` forward in time over padded x (T, B, *) of sorted
    ``lengths``: (output (T, B, H_out) with zeros past each length, h_n, c_n)."""
    steps, batch = x.shape[0], x.shape[1]
    pieces = []
    for start, stop, running in _segments(lengths):
        out, c_seg = module._layer_direction(x[start:stop, :running], h[:running],
                                             None if c is None else c[:running], k, False)
        # The running sequences' new states; the finished ones keep theirs.
        h = cat([out[-1], h[running:]]) if running < batch else out[-1]
        if c is not None:
            c = cat([c_seg, c[running:]]) if running < batch else c_seg
        if running < batch:
            out = cat([out, zeros((stop - start, batch - running, out.shape[-1]),
                                  dtype=out.dtype, device=out.device)], 1)
        pieces.append(out)
    if steps > int(lengths[0]):
        last = pieces[-1]
        pieces.append(zeros((steps - int(lengths[0]),) + tuple(last.shape[1:]),
                            dtype=last.dtype, device=last.device))
    return cat(pieces), h, c


def _within_lengths_reversed(lengths, steps):
    """(time index, batch index) reversing each sequence within its own length."""
    t = np.arange(steps)[:, None]
    flipped = np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)
    return constant(flipped.astype(np.int64)), constant(np.broadcast_to(
        np.arange(len(lengths)), flipped.shape).astype(np.int64).copy())


def run_packed(module, packed, h0, c0):
    """The stacked layers of ``module`` on ``packed``; h0, c0 (D * layers, B, *) in the
    batch's original order (or None for zeros). Returns (PackedSequence, h_n, c_n)."""
    padded, _ = pad_packed_sequence(packed)
    if packed.unsorted_indices is not None:  # back to longest-first, as packed
        padded = padded.index_select(1, packed.sorted_indices)
    sizes = np.asarray(packed.batch_sizes.numpy())
    lengths = _conjugate(sizes)
    if packed.sorted_indices is not None:
        if h0 is not None:
            h0 = h0.index_select(1, packed.sorted_indices)
        if c0 is not None:
            c0 = c0.index_select(1, packed.sorted_indices)
    steps = padded.shape[0]
    directions = 2 if module.bidirectional else 1
    x = padded
    flip = _within_lengths_reversed(lengths, steps) if directions == 2 else None
    h_n, c_n = [], []
    for layer in range(module.num_layers):
        outs = []
        for direction in range(directions):
            k = layer * directions + direction
            source = x if direction == 0 else x[flip]
            out, h, c = _run_segments(module, source, lengths, h0[k],
                                      None if c0 is None else c0[k], k)
            outs.append(out if direction == 0 else out[flip])
            h_n.append(h)
            c_n.append(c)
        x = outs[0] if directions == 1 else cat(outs, -1)
        if module.dropout and module.training and layer < module.num_layers - 1:
            x = F.dropout(x, module.dropout, True)
    at_step, at_row = _positions(sizes)
    data = x[constant(at_step.astype(np.int64)), constant(at_row.astype(np.int64))]
    h_n = stack(h_n)
    c_n = stack(c_n) if c0 is not None else None
    if packed.unsorted_indices is not None:
        h_n = h_n.index_select(1, packed.unsorted_indices)
        c_n = None if c_n is None else c_n.index_select(1, packed.unsorted_indices)
    return PackedSequence(data, packed.batch_sizes, packed.sorted_indices,
                          packed.unsorted_indices), h_n, c_n
