"""PyTorch's ``torch._foreach_*`` functions: one op over a list of tensors.

Custom optimizers and gradient-clipping code call them (``_foreach_mul_``,
``_foreach_addcdiv_``, ``_foreach_norm``...). PyTorch fuses the list into
few kernels; here each is the Ember op applied tensor by tensor, so values,
in-place semantics and gradients are the plain ops' own. Out-of-place forms
return a tuple, in-place forms the list of the (modified) input tensors.

The second argument of a binary op may be a number, a 0-d tensor, a list of
numbers or a list of tensors; ``addcmul`` and ``addcdiv`` take two lists of
tensors and a number, a list of numbers or a 1-D tensor of one value per
tensor; ``lerp`` a list of tensors and a number, a list of numbers or a list
of weight tensors.
"""

import numbers

from ember.tensor import Tensor

_UNARY = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1",
          "floor", "frac", "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal",
          "round", "rsqrt", "sigmoid", "sign", "sin", "sinh", "sqrt", "tan", "tanh", "trunc")
_BINARY = ("add", "sub", "mul", "div", "maximum", "minimum", "clamp_max", "clamp_min", "pow")
_TERNARY = ("addcmul", "addcdiv", "lerp")


def _tensors(tensors, op, what="self"):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected {what} to be a list or tuple of Tensors, got "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{op}: expected a non-empty list of Tensors for {what}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected {what}[{i}] to be a Tensor, got {type(t).__name__}")
    return list(tensors)


def _per_tensor(other, n, op, tensor_of_scalars=False):
    """The second operand for each of ``n`` tensors: a number or a 0-d tensor for
    all, or a list with one entry per tensor; with ``tensor_of_scalars``
    (addcmul, addcdiv), also a 1-D tensor of one value per tensor."""
    if isinstance(other, (list, tuple)):
        if len(other) != n:
            kind = "scalar" if all(isinstance(o, numbers.Number) for o in other) else "tensor"
            raise RuntimeError(f"{op}: expected a {kind} list of {n} elements, one per tensor, "
                               f"got {len(other)}")
        return list(other)
    if isinstance(other, Tensor):
        if tensor_of_scalars and other.ndim == 1:
            if other.numel() != n:
                raise RuntimeError(f"{op}: expected a tensor of {n} values, one per tensor, got "
                                   f"{other.numel()}")
            return [other[i] for i in range(n)]
        if other.ndim != 0:
            raise RuntimeError(f"{op}: expected a 0-d tensor as the scalar operand, got one of "
                               f"shape {list(other.shape)}")
        return [other] * n
    if isinstance(other, numbers.Number):
        return [other] * n
    raise TypeError(f"{op}: expected a number, a Tensor or a list of them, got "
                    f"{type(other).__name__}")


def _unary(name):
    def out_of_place(self):
        return tuple(getattr(t, name)() for t in _tensors(self, f"_foreach_{name}"))

    def in_place(self):
        tensors = _tensors(self, f"_foreach_{name}_")
        for t in tensors:
            getattr(t, name + "_")()
        return tensors

    out_of_place.__doc__ = f"``[t.{name}() for t in self]`` as a tuple."
    in_place.__doc__ = f"``t.{name}_()`` for every tensor of ``self``; returns them."
    return out_of_place, in_place


def _binary(name):
    def call(t, o, in_place, alpha):
        if in_place and name in ("maximum", "minimum"):  # no Tensor.maximum_: copy back
            return t.copy_(getattr(t, name)(o))
        method = getattr(t, name + "_" if in_place else name)
        return method(o) if alpha is None else method(o, alpha=alpha)

    def out_of_place(self, other, *, alpha=None):
        tensors = _tensors(self, f"_foreach_{name}")
        others = _per_tensor(other, len(tensors), f"_foreach_{name}")
        return tuple(call(t, o, False, alpha) for t, o in zip(tensors, others))

    def in_place(self, other, *, alpha=None):
        tensors = _tensors(self, f"_foreach_{name}_")
        for t, o in zip(tensors, _per_tensor(other, len(tensors), f"_foreach_{name}_")):
            call(t, o, True, alpha)
        return tensors

    note = " (``alpha`` scales ``other``)" if name in ("add", "sub") else ""
    out_of_place.__doc__ = f"``self[i].{name}(other[i])`` for every tensor, as a tuple{note}."
    in_place.__doc__ = f"``self[i].{name}_(other[i])`` for every tensor; returns them{note}."
    return out_of_place, in_place


def _ternary(name):
    def operands(self, tensor1, tensor2, value, op):
        tensors = _tensors(self, op)
        first = _tensors(tensor1, op, "tensor1" if name != "lerp" else "tensors1")
        if len(first) != len(tensors):
            raise RuntimeError(f"{op}: expected lists of the same length, got {len(tensors)} "
                               f"and {len(first)}")
        if name == "lerp":
            return tensors, first, _per_tensor(tensor2, len(tensors), op)
        second = _tensors(tensor2, op, "tensor2")
        if len(second) != len(tensors):
            raise RuntimeError(f"{op}: expected lists of the same length, got {len(tensors)} "
                               f"and {len(second)}")
        return tensors, first, second, _per_tensor(value, len(tensors), op,
                                                   tensor_of_scalars=True)

    def call(t, args, in_place):
        method = getattr(t, name + "_" if in_place else name)
        if name == "lerp":
            return method(*args)
        a, b, v = args
        return method(a, b, value=v.item() if isinstance(v, Tensor) else v)

    if name == "lerp":
        def out_of_place(self, tensors1, weight):
            ts, *rest = operands(self, tensors1, weight, None, "_foreach_lerp")
            return tuple(call(t, args, False) for t, args in zip(ts, zip(*rest)))

        def in_place(self, tensors1, weight):
            ts, *rest = operands(self, tensors1, weight, None, "_foreach_lerp_")
            for t, args in zip(ts, zip(*rest)):
                call(t, args, True)
            return ts
    else:
        def out_of_place(self, tensor1, tensor2, value=1):
            ts, *rest = operands(self, tensor1, tensor2, value, f"_foreach_{name}")
            return tuple(call(t, args, False) for t, args in zip(ts, zip(*rest)))

        def in_place(self, tensor1, tensor2, value=1):
            ts, *rest = operands(self, tensor1, tensor2, value, f"_foreach_{name}_")
            for t, args in zip(ts, zip(*rest)):
                call(t, args, True)
            return ts

    out_of_place.__doc__ = f"``self[i].{name}(...)`` for every tensor, as a tuple."
    in_place.__doc__ = f"``self[i].{name}_(...)`` for every tensor; returns them."
    return out_of_place, in_place


for _name, _make in ([(n, _unary) for n in _UNARY] + [(n, _binary) for n in _BINARY]
                     + [(n, _ternary) for n in _TERNARY]):
    _out, _in = _make(_name)
    _out.__name__ = _out.__qualname__ = f"_foreach_{_name}"
    _in.__name__ = _in.__qualname__ = f"_foreach_{_name}_"
    globals()[_out.__name__], globals()[_in.__name__] = _out, _in


_foreach_pow_lists = globals()["_foreach_pow"]


def _foreach_pow(self, exponent):  # noqa: F811 - adds PyTorch's number-first form
    """``self[i] ** exponent[i]`` as a tuple; with a number first,
    ``self ** exponent[i]`` (the number raised to each tensor)."""
    if isinstance(self, numbers.Number):
        from ember.ops.arithmetic import pow as power
        return tuple(power(self, t) for t in _tensors(exponent, "_foreach_pow", "exponent"))
    return _foreach_pow_lists(self, exponent)


def _foreach_norm(self, ord=2, dtype=None):
    """The ``ord``-norm of each tensor (0-d tensors), as a tuple."""
    return tuple(t.norm(ord, dtype=dtype) if dtype is not None else t.norm(ord)
                 for t in _tensors(self, "_foreach_norm"))


def _foreach_max(self):
    """The largest element of each tensor (0-d tensors), as a tuple."""
    return tuple(t.max() for t in _tensors(self, "_foreach_max"))


def _foreach_powsum(self, exponent=2, dtype=None):
    """``sum(|t| ** exponent)`` of each tensor (0-d tensors), as a tuple."""
    return tuple((t.abs() ** exponent).sum(dtype=dtype) for t in _tensors(self, "_foreach_powsum"))


def _foreach_clone(self, *, memory_format=None):
    """A copy of each tensor, as a tuple."""
    return tuple(t.clone() for t in _tensors(self, "_foreach_clone"))


def _foreach_copy_(self, src, non_blocking=False):
    """``self[i].copy_(src[i])`` for every tensor; returns them."""
    tensors, sources = _tensors(self, "_foreach_copy_"), _tensors(src, "_foreach_copy_", "src")
    if len(tensors) != len(sources):
        raise RuntimeError(f"_foreach_copy_: expected lists of the same length, got "
                           f"{len(tensors)} and {len(sources)}")
    for t, s in zip(tensors, sources):
        t.copy_(s)
    return tensors


def _foreach_zero_(self):
    """``t.zero_()`` for every tensor; returns them."""
    tensors = _tensors(self, "_foreach_zero_")
    for t in tensors:
        t.zero_()
    return tensors


def _foreach_mm(self, mat2):
    """``self[i] @ mat2[i]`` for every pair of matrices, as a tuple."""
    tensors, others = _tensors(self, "_foreach_mm"), _tensors(mat2, "_foreach_mm", "mat2")
    if len(tensors) != len(others):
        raise RuntimeError(f"_foreach_mm: expected lists of the same length, got {len(tensors)} "
                           f"and {len(others)}")
    return tuple(a.mm(b) for a, b in zip(tensors, others))


__all__ = sorted(n for n in globals() if n.startswith("_foreach_") and n != "_foreach_pow_lists")
__methods__ = ()
__inplace__ = ()
