"""PyTorch's ``*_copy`` functions: each view op's result as a tensor of its own
(contiguous storage, gradients flowing through), e.g. ``transpose_copy``.

Each is the view op followed by ``clone``; ``detach`` and ``alias`` are the
two views without a ``_copy`` elsewhere.
"""

from ember.ops import convert, views
from ember.ops.tensor_compat import as_strided

__all__ = ["alias", "detach", "alias_copy", "expand_copy", "permute_copy", "t_copy",
           "transpose_copy", "unsqueeze_copy", "squeeze_copy", "view_copy", "select_copy",
           "slice_copy", "split_copy", "split_with_sizes_copy", "unbind_copy",
           "diagonal_copy", "detach_copy", "unfold_copy", "as_strided_copy"]


def alias(input):
    """A view of all of ``input`` (same storage, shape and strides)."""
    return input.view_as(input)


def detach(input):
    """``input.detach()``: the same storage, outside the graph."""
    return input.detach()


def _copy(view_fn, doc):
    def fn(input, *args, **kwargs):
        return convert.clone(view_fn(input, *args, **kwargs))
    fn.__doc__ = doc
    return fn


def _copies(view_fn, doc):
    def fn(input, *args, **kwargs):
        return tuple(convert.clone(t) for t in view_fn(input, *args, **kwargs))
    fn.__doc__ = doc
    return fn


def _slice(input, dim=0, start=None, end=None, step=1):
    return input[(slice(None),) * (dim % input.ndim) + (slice(start, end, step),)]


alias_copy = _copy(alias, "``alias`` as a copy.")
expand_copy = _copy(lambda x, size, *, implicit=False: x.expand(size),
                    "``expand(input, size)`` as a copy (the repeats materialised).")
permute_copy = _copy(lambda x, dims: x.permute(dims), "``permute`` as a contiguous copy.")
t_copy = _copy(lambda x: x.t(), "``t`` as a contiguous copy.")
transpose_copy = _copy(views.transpose, "``transpose`` as a contiguous copy.")
unsqueeze_copy = _copy(views.unsqueeze, "``unsqueeze`` as a copy.")
squeeze_copy = _copy(views.squeeze, "``squeeze`` as a copy.")
view_copy = _copy(lambda x, *shape: x.view(*shape), "``view`` as a copy.")
select_copy = _copy(lambda x, dim, index: x.select(dim, index), "``select`` as a copy.")
slice_copy = _copy(_slice, "``input`` sliced along ``dim`` (start, end, step) as a copy.")
split_copy = _copies(lambda x, split_size_or_sections, dim=0: x.split(split_size_or_sections, dim),
                     "``split`` with each part a copy.")
split_with_sizes_copy = _copies(lambda x, split_sizes, dim=0: x.split_with_sizes(split_sizes,
                                                                                 dim),
                                "``split_with_sizes`` with each part a copy.")
unbind_copy = _copies(lambda x, dim=0: x.unbind(dim), "``unbind`` with each part a copy.")
diagonal_copy = _copy(lambda x, offset=0, dim1=0, dim2=1: x.diagonal(offset, dim1, dim2),
                      "``diagonal`` as a copy.")
detach_copy = _copy(detach, "``detach`` as a copy.")
unfold_copy = _copy(lambda x, dimension, size, step: x.unfold(dimension, size, step),
                    "``Tensor.unfold`` (sliding windows) as a copy.")
as_strided_copy = _copy(as_strided, "``as_strided`` as a copy.")

__methods__ = ()
