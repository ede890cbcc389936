"""``autocast``: automatic mixed precision regions, as ``torch.autocast``.

Inside ``with ember.autocast("cpu"):`` the ops that gain from lower
precision (matrix products, convolutions) run in bfloat16, the ops that need
float32's range (losses, reductions such as ``prod``, linear algebra) run in
float32, and a few ops that combine several tensors (``cat``, ``stack``,
``index_copy``) run in the widest dtype among them. Every other op runs in
its inputs' dtype. The casts are ordinary differentiable ``.to()`` calls, so
gradients flow back through them and leaves keep float32 gradients::

    model = nn.Linear(4, 2)
    with ember.autocast("cpu", dtype=ember.bfloat16):
        out = model(x)                 # bfloat16
        loss = F.mse_loss(out, y)      # float32
    loss.backward()                    # model.weight.grad is float32

How the ops take part: each op of the tables below starts with::

    if _amp.active:
        return _amp.run("mm", mm, input, mat2)

``active`` is a plain module attribute, True only while some device type
has autocast on, so outside autocast the cost is that one read. ``run``
casts the arguments by the op's policy and calls the op again with autocast
suspended, so the ops it is built from are not cast a second time (PyTorch's
autocast kernels likewise run the op below autocast). Some ops that Ember
builds from matrix products but PyTorch does not cast (``mv``, ``dot``,
``addmv``, ``addr``, ``matrix_exp``, ``pinv``, ``interpolate``,
``adaptive_avg_pool1d/2d``) have the same entry with no policy: they only
suspend autocast, so that their parts keep the inputs' dtype.

Differences from PyTorch: the autocast state is one per process, not one per
thread; only ``"cpu"`` and ``"cuda"`` are device types; and ``"cuda"``
autocast covers the ops of these tables only (PyTorch's CUDA float32 list
also names elementwise ops such as ``exp``, ``log``, ``pow``, ``sum`` and
``softmax``, which run here in their inputs' dtype); ``nn.LSTM`` and ``nn.RNN``
return the autocast dtype as PyTorch's do, but compute their recurrence in
the parameters' dtype and round the results once, where PyTorch's CPU kernel
runs the whole layer in bfloat16.
"""

import functools
import warnings

import numpy as np

from ember.autograd.grad_mode import is_grad_enabled
from ember.backend import dtype as _dt
from ember.backend.device import cuda_available
from ember.tensor import Tensor

__all__ = ["autocast", "is_autocast_available", "is_autocast_enabled", "set_autocast_enabled",
           "get_autocast_dtype", "set_autocast_dtype", "is_autocast_cache_enabled",
           "set_autocast_cache_enabled", "clear_autocast_cache", "custom_fwd", "custom_bwd"]

# ---- cast policies -------------------------------------------------------------
#
# LOWER: floating inputs (but float64) go to the autocast dtype.
# FP32: floating inputs (but float64) go to float32.
# PROMOTE: floating inputs go to the widest floating dtype among them.
# Ops that PyTorch builds from listed ops (einsum and tensordot through bmm,
# matrix_power and multi_dot through matmul, affine_grid through bmm, the Elman
# cells through linear) take their parts' policy, so that the results' dtypes
# match PyTorch's.

LOWER, FP32, PROMOTE, UNSAFE = "lower", "fp32", "promote", "unsafe"

_CPU_LOWER = (
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "mm", "bmm", "matmul", "addmm", "addbmm", "baddbmm", "linear", "prelu",
    "scaled_dot_product_attention", "einsum", "tensordot", "inner", "multi_dot", "vecdot",
    "matrix_power", "affine_grid", "rnn_tanh_cell", "rnn_relu_cell")

_CPU_FP32 = (
    # losses
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss",
    "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "cosine_embedding_loss", "multi_margin_loss",
    "multilabel_margin_loss", "triplet_margin_loss", "ctc_loss",
    # reductions and distances
    "prod", "quantile", "nanquantile", "cdist", "trace",
    # pooling, unpooling, padding and sampling
    "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
    "fractional_max_pool2d", "fractional_max_pool3d", "max_unpool2d", "max_unpool3d",
    "reflection_pad1d", "reflection_pad2d", "replication_pad1d", "replication_pad2d",
    "replication_pad3d", "grid_sample",
    # linear algebra
    "cholesky", "linalg_cholesky", "cholesky_inverse", "cholesky_solve", "inverse", "inv",
    "pinverse", "lu_solve", "solve", "lstsq", "solve_triangular", "triangular_solve", "qr",
    "svd", "linalg_svd", "svdvals", "eigh", "eigvalsh", "matrix_rank", "tensorinv",
    "tensorsolve", "householder_product", "geqrf", "cond")

_CPU_PROMOTE = ("cat", "stack", "index_copy")

# PyTorch's CUDA lists, for the ops that have an entry here.
_CUDA_LOWER = (
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "mm", "bmm", "matmul", "addmm", "addbmm", "baddbmm", "linear", "prelu", "multi_dot",
    "scaled_dot_product_attention", "einsum", "inner", "matrix_power", "affine_grid",
    "rnn_tanh_cell", "rnn_relu_cell")

_CUDA_FP32 = (
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
    "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss", "margin_ranking_loss",
    "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
    "cosine_embedding_loss", "multi_margin_loss", "multilabel_margin_loss",
    "triplet_margin_loss", "prod", "cdist")

_CUDA_PROMOTE = ("cat", "stack", "index_copy", "tensordot", "grid_sample")


def _table(lower, fp32, promote, unsafe=()):
    table = dict.fromkeys(lower, LOWER)
    table.update(dict.fromkeys(fp32, FP32))
    table.update(dict.fromkeys(promote, PROMOTE))
    table.update(dict.fromkeys(unsafe, UNSAFE))
    return table


POLICIES = {"cpu": _table(_CPU_LOWER, _CPU_FP32, _CPU_PROMOTE),
            "cuda": _table(_CUDA_LOWER, _CUDA_FP32, _CUDA_PROMOTE, ("binary_cross_entropy",))}

# ---- state ---------------------------------------------------------------------

_DEVICE_TYPES = ("cpu", "cuda")
_enabled = {"cpu": False, "cuda": False}
_dtype = {"cpu": _dt.bfloat16, "cuda": _dt.float16}
_cache_on = [True]
_nesting = [0]
_cache = {}  # id(leaf) -> (leaf, its version, its cast): casts of weights, one per region

active = False  # read by the ops at their entry: True while some device type has autocast on


def _refresh():
    global active
    active = _enabled["cpu"] or _enabled["cuda"]


def _device_type(device_type, fn):
    if not isinstance(device_type, str):
        raise ValueError(f"{fn}: expected device_type of type str, got "
                         f"{type(device_type).__name__}")
    if device_type not in _DEVICE_TYPES:
        raise RuntimeError(f"{fn}: expected device_type 'cpu' or 'cuda', got {device_type!r}")
    return device_type


def _check_bool(value, name, fn):
    if not isinstance(value, (bool, int, np.bool_)):
        raise TypeError(f"{fn}: expected {name} to be a bool, got {type(value).__name__}")
    return bool(value)


def is_autocast_available(device_type):
    """True if ``device_type`` has autocast: ``"cpu"`` and ``"cuda"``
    (``torch.amp.is_autocast_available``)."""
    return device_type in _DEVICE_TYPES


def is_autocast_enabled(device_type=None):
    """Whether autocast is on for ``device_type`` (``torch.is_autocast_enabled``).

    Without an argument it answers for ``"cuda"``, as PyTorch's older form does.
    """
    if device_type is None:
        return _enabled["cuda"]
    return _enabled[_device_type(device_type, "is_autocast_enabled")]


def set_autocast_enabled(device_type, enabled=None):
    """Switch autocast on or off for ``device_type`` (``torch.set_autocast_enabled``);
    ``set_autocast_enabled(enabled)`` alone sets ``"cuda"``, as PyTorch's older form."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    device_type = _device_type(device_type, "set_autocast_enabled")
    _enabled[device_type] = _check_bool(enabled, "enabled", "set_autocast_enabled")
    _refresh()


def get_autocast_dtype(device_type):
    """The dtype autocast casts to on ``device_type``: bfloat16 for ``"cpu"`` and float16
    for ``"cuda"`` unless set otherwise (``torch.get_autocast_dtype``)."""
    return _dtype[_device_type(device_type, "get_autocast_dtype")]


def set_autocast_dtype(device_type, dtype):
    """Set the dtype autocast casts to on ``device_type`` (``torch.set_autocast_dtype``)."""
    device_type = _device_type(device_type, "set_autocast_dtype")
    if not isinstance(dtype, _dt.dtype):
        raise TypeError(f"set_autocast_dtype: expected dtype to be an ember.dtype, got "
                        f"{type(dtype).__name__}")
    _dtype[device_type] = dtype


def is_autocast_cache_enabled():
    """Whether autocast regions keep the casts of weights for reuse (True by default;
    ``torch.is_autocast_cache_enabled``)."""
    return _cache_on[0]


def set_autocast_cache_enabled(enabled):
    """Switch the reuse of weight casts in autocast regions (``torch.set_autocast_cache_enabled``)."""
    _cache_on[0] = _check_bool(enabled, "enabled", "set_autocast_cache_enabled")


def clear_autocast_cache():
    """Forget the kept casts of weights (``torch.clear_autocast_cache``); leaving the
    outermost autocast region does this."""
    _cache.clear()


# ---- the region ----------------------------------------------------------------

_SUPPORTED = {"cpu": (_dt.bfloat16, _dt.float16), "cuda": (_dt.float16, _dt.bfloat16)}


class autocast:
    """``autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``: a region
    (``with``) or a function (decorator) in which ops run in mixed precision
    (``torch.autocast``; see the module docstring for the policy).

    Args:
        device_type: ``"cpu"`` or ``"cuda"``; only tensors of that type are cast.
        dtype: the lower precision; by default ``get_autocast_dtype(device_type)``
            (bfloat16 on CPU, float16 on CUDA). CPU takes bfloat16 and float16;
            another dtype warns and the region runs with autocast off.
        enabled: ``False`` makes the region a pass-through (it can switch autocast
            off inside an enclosing region).
        cache_enabled: reuse one cast per float32 leaf that requires grad (a
            weight) within the region; by default ``is_autocast_cache_enabled()``.

    Regions nest: leaving one restores the state it found. ``"cuda"`` without a
    GPU warns and runs with autocast off, as PyTorch. Differs from PyTorch: the
    state is one per process, not per thread; ``"cuda"`` with bfloat16 raises,
    since Ember's GPU arrays (CuPy) have no bfloat16; an unknown device type
    raises RuntimeError at construction.
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        self.device = _device_type(device_type, "autocast")
        self._enabled = _check_bool(enabled, "enabled", "autocast")
        self.fast_dtype = get_autocast_dtype(self.device) if dtype is None else dtype
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None \
            else _check_bool(cache_enabled, "cache_enabled", "autocast")
        self._args = (device_type, dtype, enabled, cache_enabled)
        if not self._enabled:
            return
        if self.device == "cuda" and not cuda_available():
            warnings.warn("ember.autocast: CUDA is not available. Disabling autocast.",
                          UserWarning, stacklevel=2)
            self._enabled = False
            return
        if self.fast_dtype not in _SUPPORTED[self.device]:
            names = ", ".join(str(d) for d in _SUPPORTED[self.device])
            warnings.warn(f"In {self.device.upper()} autocast, but the target dtype is not "
                          f"supported. Disabling autocast.\n{self.device.upper()} Autocast "
                          f"only supports dtypes of {names} currently.", UserWarning,
                          stacklevel=2)
            self._enabled = False
            return
        if self.device == "cuda" and self.fast_dtype is _dt.bfloat16:
            raise RuntimeError("autocast: the GPU does not support bfloat16 here (CuPy has no "
                               "bfloat16 arrays). Please switch dtype to float16.")

    def __enter__(self):
        """Switch this region's state on, keeping the one it replaces."""
        d = self.device
        self._prev = (_enabled[d], _dtype[d], _cache_on[0])
        _enabled[d], _dtype[d], _cache_on[0] = self._enabled, self.fast_dtype, self._cache_enabled
        _nesting[0] += 1
        _refresh()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        """Restore the state found at entry; the outermost region also clears the cache."""
        d = self.device
        _enabled[d], _dtype[d], _cache_on[0] = self._prev
        _nesting[0] -= 1
        if _nesting[0] == 0:
            _cache.clear()
        _refresh()
        return False

    def __call__(self, func):
        """Decorate ``func`` so that each call runs in a region like this one."""
        args = self._args

        @functools.wraps(func)
        def in_autocast(*a, **k):
            with autocast(*args):  # a fresh region per call: recursion keeps its own state
                return func(*a, **k)
        return in_autocast

    def __repr__(self):
        return (f"autocast(device_type={self.device!r}, dtype={self.fast_dtype}, "
                f"enabled={self._enabled}, cache_enabled={self._cache_enabled})")


# ---- the casts -----------------------------------------------------------------

def _is_float(t):
    return t.dtype.is_floating_point


def _on_cuda(t):
    return type(t._array) is not np.ndarray


def _op_device(args, kwargs):
    """``"cuda"`` if any tensor argument (or one in a list argument) is on a GPU."""
    for v in (*args, *kwargs.values()):
        if isinstance(v, Tensor):
            if _on_cuda(v):
                return "cuda"
        elif isinstance(v, (list, tuple)):
            if any(isinstance(u, Tensor) and _on_cuda(u) for u in v):
                return "cuda"
    return "cpu"


def _cast_one(t, dtype, device, cache):
    if t.dtype is dtype or t.dtype is _dt.float64 or not _is_float(t) \
            or (device == "cuda") != _on_cuda(t):
        return t
    if cache and t.requires_grad and t.grad_fn is None and t._base is None \
            and t.dtype is _dt.float32 and is_grad_enabled():
        hit = _cache.get(id(t))
        if hit is not None and hit[0] is t and hit[1] == t._version and hit[2].dtype is dtype:
            return hit[2]
        cast = t.to(dtype)
        _cache[id(t)] = (t, t._version, cast)  # holds t, so its id is not reused meanwhile
        return cast
    return t.to(dtype)


def _cast(value, dtype, device, cache):
    if isinstance(value, Tensor):
        return _cast_one(value, dtype, device, cache)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        return type(value)(_cast(v, dtype, device, cache) for v in value)
    return value


def _widest(args, kwargs, start):
    """``start`` promoted with the dtype of every floating tensor argument."""
    dtype = start
    for v in (*args, *kwargs.values()):
        for t in (v if isinstance(v, (list, tuple)) else (v,)):
            if isinstance(t, Tensor) and _is_float(t):
                dtype = _dt.promote_types(dtype, t.dtype)
    return dtype


def _floats_all(args, kwargs, dtype):
    """True if every floating tensor argument has ``dtype``."""
    for v in (*args, *kwargs.values()):
        for t in (v if isinstance(v, (list, tuple)) else (v,)):
            if isinstance(t, Tensor) and _is_float(t) and t.dtype is not dtype:
                return False
    return True


def _in_dtype(result, dtype):
    if isinstance(result, Tensor):
        return result.to(dtype) if _is_float(result) and result.dtype is not dtype else result
    if type(result) is tuple:
        return tuple(_in_dtype(r, dtype) for r in result)
    return result


def run(op, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` under ``op``'s cast policy, with autocast suspended inside.

    Called by the ops themselves when ``active`` is set. A call with ``out=``
    is not cast, as in PyTorch. After a lower-precision op whose floating
    operands are all in the autocast dtype, a floating result in another dtype
    is rounded to it (a guard: the matrix products already return their
    operands' dtype, accumulated in float32 as PyTorch's bfloat16 kernels do).
    """
    global active
    device = _op_device(args, kwargs)
    policy = POLICIES[device].get(op) if _enabled[device] else None
    if kwargs.get("out") is not None:
        policy = None
    target = None
    if policy is LOWER:
        target = _dtype[device]
    elif policy is FP32:
        target = _dt.float32
    elif policy is PROMOTE:
        target = _widest(args, kwargs, _dtype[device])
    elif policy is UNSAFE:
        raise RuntimeError(f"{op}: unsafe to autocast ({op} and its module compute log(1 - p), "
                           "which loses precision in float16); use the _with_logits variant "
                           "or run it outside the autocast region")
    if target is not None:
        cache = _cache_on[0] and policy is LOWER
        args = tuple(_cast(v, target, device, cache) for v in args)
        kwargs = {k: _cast(v, target, device, cache) for k, v in kwargs.items()}
    active = False
    try:
        result = fn(*args, **kwargs)
    finally:
        _refresh()
    if policy is LOWER and _floats_all(args, kwargs, target):
        result = _in_dtype(result, target)
    return result


# ---- custom autograd Functions -------------------------------------------------

def _cast_inputs(value, dtype, device):
    if isinstance(value, Tensor):
        if _is_float(value) and value.dtype is not _dt.float64 \
                and (device == "cuda") == _on_cuda(value):
            return value.to(dtype)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_inputs(v, dtype, device) for v in value)
    if isinstance(value, dict):
        return {k: _cast_inputs(v, dtype, device) for k, v in value.items()}
    return value


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for the ``forward`` of a custom ``autograd.Function``
    (``torch.amp.custom_fwd``).

    With ``cast_inputs=None`` the forward runs under the autocast state of the
    call and ``custom_bwd`` replays that state in backward. With a dtype, and
    autocast on for ``device_type``, the floating tensor arguments (float64
    aside) are cast to it and the forward runs with autocast off.
    """
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    device_type = _device_type(device_type, "custom_fwd")

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            ctx._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        ctx._fwd_used_autocast = False
        if not is_autocast_enabled(device_type):
            return fwd(*args, **kwargs)
        args = (ctx,) + _cast_inputs(args[1:], cast_inputs, device_type)
        kwargs = _cast_inputs(kwargs, cast_inputs, device_type)
        with autocast(device_type, enabled=False):
            return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for the ``backward`` of a custom ``autograd.Function`` whose forward
    has ``custom_fwd``: backward runs with the autocast state forward ran with
    (``torch.amp.custom_bwd``)."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    device_type = _device_type(device_type, "custom_bwd")

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type, enabled=ctx._fwd_used_autocast, dtype=ctx._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd
