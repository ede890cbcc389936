"""``ember.backends.cuda``: PyTorch's CUDA math switches.

``matmul.allow_tf32`` is tied to ``ember.set_float32_matmul_precision`` as in
PyTorch: setting it True makes the precision ``"high"``, False makes it
``"highest"``, and it reads True whenever the precision is not ``"highest"``.
Ember records that precision and computes float32 products in full float32
on the CPU either way. The two reduced-precision-reduction flags are recorded
only. Setting a flag to anything but a bool raises RuntimeError; setting or
reading an unknown attribute of ``matmul`` raises AttributeError, as in PyTorch.
"""

import importlib.util

import ember
from ember.backend.device import cuda_available


def is_built():
    """True when CuPy can be imported, Ember's way of being built with CUDA
    (``torch.backends.cuda.is_built``); it says nothing of a GPU being present."""
    return cuda_available() or importlib.util.find_spec("cupy") is not None


class _Matmul:
    """``ember.backends.cuda.matmul``: switches for float32/float16 matrix products."""

    _FLAGS = ("allow_tf32", "allow_fp16_reduced_precision_reduction",
              "allow_bf16_reduced_precision_reduction")

    def __init__(self):
        object.__setattr__(self, "_flags", {"allow_fp16_reduced_precision_reduction": True,
                                            "allow_bf16_reduced_precision_reduction": True})

    def __getattr__(self, name):  # only for names not found normally
        if name == "allow_tf32":
            return ember.get_float32_matmul_precision() != "highest"
        if name in self._FLAGS:
            return self._flags[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name, value):
        if name not in self._FLAGS:
            raise AttributeError(f"Unknown attribute {name}")
        if not isinstance(value, bool):
            raise RuntimeError(f"backends.cuda.matmul.{name}: expected a bool, got "
                               f"{type(value).__name__}")
        if name == "allow_tf32":
            ember.set_float32_matmul_precision("high" if value else "highest")
        else:
            self._flags[name] = value


matmul = _Matmul()
