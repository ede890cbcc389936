"""``ember.backends.cuda``: PyTorch's CUDA math switches.

``matmul.allow_tf32`` is tied to ``ember.set_float32_matmul_precision`` as in
PyTorch: setting it True makes the precision ``"high"``, False makes it
``"highest"``, and it reads True whenever the precision is not ``"highest"``.
Ember records that precision and computes float32 products in full float32
on the CPU either way. The two reduced-precision-reduction flags are recorded
only. Setting a flag to anything but a bool raises RuntimeError; setting or
reading an unknown attribute of ``matmul`` raises AttributeError, as in PyTorch.
"""

import contextlib
import importlib.util
import warnings

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


# ---- scaled_dot_product_attention's implementations ------------------------------------
# The switches live with the op (ops.attention._SDP_ENABLED); as in PyTorch they
# apply on every device. "flash" is Ember's fused attention node, "math" the
# composition of ops; "mem_efficient" also selects the fused node on CUDA, and
# Ember has no cuDNN attention. With none that fits a call enabled, the call raises.
def _sdp_flag(name, enabled=None):
    from ember.ops.attention import _SDP_ENABLED
    if enabled is None:
        return _SDP_ENABLED[name]
    if not isinstance(enabled, bool):
        raise TypeError(f"enable_{name}_sdp: expected a bool, got {type(enabled).__name__}")
    _SDP_ENABLED[name] = enabled
    return None


def flash_sdp_enabled():
    """Whether scaled_dot_product_attention may use the fused (flash) kernel."""
    return _sdp_flag("flash")


def enable_flash_sdp(enabled):
    """Allow or forbid the fused (flash) attention kernel."""
    _sdp_flag("flash", enabled)


def mem_efficient_sdp_enabled():
    """Whether the memory-efficient attention kernel may be used."""
    return _sdp_flag("mem_efficient")


def enable_mem_efficient_sdp(enabled):
    """Allow or forbid the memory-efficient attention kernel."""
    _sdp_flag("mem_efficient", enabled)


def math_sdp_enabled():
    """Whether the math (composed ops) attention may be used."""
    return _sdp_flag("math")


def enable_math_sdp(enabled):
    """Allow or forbid the math (composed ops) attention."""
    _sdp_flag("math", enabled)


def cudnn_sdp_enabled():
    """Whether the cuDNN attention kernel may be used (Ember has none)."""
    return _sdp_flag("cudnn")


def enable_cudnn_sdp(enabled):
    """Allow or forbid the cuDNN attention kernel (Ember has none)."""
    _sdp_flag("cudnn", enabled)


@contextlib.contextmanager
def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True,
               enable_cudnn=True):
    """Deprecated: enable only the given attention implementations inside the
    block (``nn.attention.sdpa_kernel`` is the current way)."""
    warnings.warn("`ember.backends.cuda.sdp_kernel()` is deprecated. In the future, this "
                  "context manager will be removed. Please see "
                  "`ember.nn.attention.sdpa_kernel()` for the new context manager, with "
                  "updated signature.", FutureWarning, stacklevel=3)
    from ember.ops.attention import _SDP_ENABLED
    previous = dict(_SDP_ENABLED)
    _SDP_ENABLED.update(flash=bool(enable_flash), math=bool(enable_math),
                        mem_efficient=bool(enable_mem_efficient), cudnn=bool(enable_cudnn))
    try:
        yield
    finally:
        _SDP_ENABLED.update(previous)
