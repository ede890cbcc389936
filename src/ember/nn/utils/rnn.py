"""``pad_sequence`` and ``unpad_sequence``, as ``torch.nn.utils.rnn``'s.

(Packed sequences, ``pack_padded_sequence`` and friends, are not available:
recurrent layers take padded batches; sequences of different lengths are
padded, and the padding's outputs ignored.)
"""

from ember.ops.creation import full
from ember.ops.shape import cat, stack
from ember.tensor import Tensor

__all__ = ["pad_sequence", "unpad_sequence"]


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
