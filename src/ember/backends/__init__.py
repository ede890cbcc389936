"""ember.backends: the switches PyTorch scripts set on ``torch.backends``.

``cudnn``, ``cuda`` (``cuda.matmul``), ``mps``, ``mkldnn`` and ``openmp``
answer ``is_available()`` and hold the flags scripts set once at the top
(``ember.backends.cudnn.benchmark = True``). Each flag records its setting
and its docstring says what it changes in Ember, which on the CPU is nothing:
Ember's CPU kernels are NumPy's, and its GPU kernels are CuPy's, none of
which goes through cuDNN, MPS or oneDNN.
"""

import types


class FlagModule(types.ModuleType):
    """A module whose boolean flags refuse non-bools, as ``torch.backends``' modules do.

    A submodule subclasses it with :func:`bool_flag` properties and assigns the
    subclass to its own ``__class__``; values live in the module's ``_flags`` dict.
    """


def bool_flag(module, name, doc):
    """A property for ``FlagModule`` subclasses: reads ``_flags[name]``, sets only bools."""
    def get(mod):
        return mod._flags[name]

    def set_(mod, value):
        if not isinstance(value, bool):
            raise RuntimeError(f"backends.{module}.{name}: expected a bool, got "
                               f"{type(value).__name__}")
        mod._flags[name] = value
    return property(get, set_, doc=doc)


from ember.backends import cuda, cudnn, mkldnn, mps, openmp  # noqa: E402 - they use the above

__all__ = ["cuda", "cudnn", "mkldnn", "mps", "openmp"]
