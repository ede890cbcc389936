"""PyTorch's ``torch.nn.modules.utils`` helpers, which layer code imports by name:
``_single`` / ``_pair`` / ``_triple`` / ``_quadruple`` turn an int (or any
non-iterable) into a tuple of that many copies and an iterable into a tuple
as it is (lengths unchecked, as in PyTorch)."""

import collections.abc
from itertools import repeat

__all__ = []  # private names, imported explicitly as in PyTorch


def _ntuple(n, name="parse"):
    """A function mapping ``x`` to ``tuple(x)`` if iterable, else to ``n`` copies of ``x``."""
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    """``t`` reversed, each element repeated ``n`` times: the per-dimension
    padding (left, right) pairs F.pad wants, last dimension first."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults):
    """An adaptive pool's output size with None entries taken from ``defaults``'s
    trailing dimensions (an int is returned as it is)."""
    if isinstance(out_size, (int, float)):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]
