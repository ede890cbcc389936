"""Attention: scaled_dot_product_attention and multi_head_attention_forward.

Both are compositions of differentiable ops (matmul, a masked softmax,
dropout), so every derivative order comes from those ops. ``SafeSoftmax`` is
the softmax PyTorch's attention uses: a row whose scores are all -inf (every
key masked out) gives zeros instead of NaN. ``Attention`` fuses the common
case of ``scaled_dot_product_attention`` (no dropout, a constant mask) into
one node: two GEMMs and an in-place softmax forward, and a first-order
backward of four GEMMs that needs neither the scores nor the mask again.
"""

import math

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.backend import dtype as _dt
from ember.backend.device import xp_of
from ember.backend.random import rng
from ember.ops._util import check_tensor, fmt_shape
from ember.autograd.grad_mode import is_grad_enabled
from ember.ops.linalg import _blas_ready, _gemm, linear
from ember.ops.reduce import constant
from ember.ops.shape import cat

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


class SafeSoftmax(Function):
    """softmax(x, dim), with rows that are entirely -inf mapped to zeros."""

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        ctx.dim = dim
        top = x.max(axis=dim, keepdims=True)
        e = xp.exp(x - xp.where(top == -np.inf, 0, top))  # a masked row: exp(-inf) = 0
        total = e.sum(axis=dim, keepdims=True)
        y = xp.asarray(e / xp.where(total == 0, 1, total))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        gy = g * y  # zero on a masked row, so its gradient is zero too
        return gy - y * gy.sum(ctx.dim, keepdim=True), None


class Attention(Function):
    """softmax(q @ k^T * scale + mask) @ v over the last two dims, in one node.

    ``mask`` is a constant additive array (0 / -inf, or any float), broadcast
    to the scores, or None. q, k and v share their batch dimensions.
    """

    @staticmethod
    def forward(ctx, q, k, v, mask, scale):
        xp = ctx.xp
        weights = _gemm(q, k.swapaxes(-1, -2))  # (..., L, S), a fresh array
        weights *= weights.dtype.type(scale)
        if mask is not None:
            weights += mask
        _softmax_rows_(xp, weights)
        out = _product_like(xp, weights, v, q)
        ctx.scale, ctx.mask, ctx.weights = scale, mask, weights
        ctx.save_for_backward(q, k, v, out)
        return out

    @staticmethod
    def backward(ctx, g):
        q, k, v, out = ctx.saved_tensors
        need = ctx.needs_input_grad
        if is_grad_enabled():  # create_graph=True: the same formulas in Ember ops
            mask = None if ctx.mask is None else constant(ctx.mask)
            scores = q.matmul(k.mT) * ctx.scale
            p = SafeSoftmax.apply(scores if mask is None else scores + mask, scores.ndim - 1)
            gs = p * (g.matmul(v.mT) - (g * out).sum(-1, keepdim=True)) * ctx.scale
            return (gs.matmul(k) if need[0] else None, gs.mT.matmul(q) if need[1] else None,
                    p.mT.matmul(g) if need[2] else None, None, None)
        ga, p = g._array, ctx.weights
        gv = _product_like(ctx.xp, p.swapaxes(-1, -2), ga, v._array) if need[2] else None
        # d scores = p * (dp - rowsum(dp * p)) * scale, and rowsum(dp * p) =
        # rowsum(g * out): a pass over (L, Ev) instead of (L, S).
        gs = _gemm(ga, v._array.swapaxes(-1, -2))
        gs -= (ga * out._array).sum(-1, keepdims=True)
        gs *= p
        gs *= gs.dtype.type(ctx.scale)
        gq = _product_like(ctx.xp, gs, k._array, q._array) if need[0] else None
        gk = _product_like(ctx.xp, gs.swapaxes(-1, -2), q._array, k._array) if need[1] else None
        return tuple(None if a is None else constant(a) for a in (gq, gk, gv)) + (None, None)


def _product_like(xp, a, b, like):
    """``a @ b`` laid out in memory as ``like`` (same dims, any last size).

    Heads split out of one (B, T, H * E) projection are (B, H, T, E) views
    in (B, T, H, E) order; an output or gradient in that same order makes
    the caller's ``transpose(1, 2)`` and reshape back free instead of a copy.
    """
    shape = a.shape[:-1] + b.shape[-1:]
    if like.flags.c_contiguous or like.shape[:-1] != shape[:-1]:
        return _gemm(a, b)
    order = sorted(range(like.ndim - 1), key=lambda d: -like.strides[d]) + [like.ndim - 1]
    out = xp.empty(tuple(shape[d] for d in order), a.dtype).transpose(np.argsort(order))
    if not (_blas_ready(out) and _blas_ready(a) and _blas_ready(b)):
        return _gemm(a, b)
    return xp.matmul(a, b, out=out)


def _softmax_rows_(xp, x):
    """Softmax over the last axis of ``x``, in place; an all -inf row becomes zeros."""
    top = x.max(axis=-1, keepdims=True)
    top[top == -np.inf] = 0  # a masked row: exp(-inf - 0) = 0
    x -= top
    xp.exp(x, out=x)
    total = x.sum(axis=-1, keepdims=True)
    total[total == 0] = 1
    xp.reciprocal(total, out=total)
    x *= total


def _dropout(x, p):
    """Inverted dropout of attention weights (the ops layer cannot reach nn.functional)."""
    if p <= 0.0:
        return x
    keep = rng().random(x.shape) >= p
    scale = 1.0 / (1.0 - p) if p < 1 else 0.0
    return x * constant(xp_of(x._array).asarray((keep * scale).astype(x._array.dtype)))


def _float_mask(mask, dtype, op, true_means_masked):
    """A bool mask as an additive float one (-inf where masked); float masks pass through."""
    if mask is None:
        return None
    check_tensor(mask, op, "attn_mask")
    kind = mask._array.dtype
    if kind == np.bool_:
        masked = mask._array if true_means_masked else ~mask._array
        return constant(xp_of(mask._array).where(masked, -np.inf, 0.0).astype(dtype))
    if kind.kind != "f" and kind.name != "bfloat16":
        raise TypeError(f"{op}: expected a bool or floating mask, got {mask.dtype}")
    return mask if kind == dtype else mask.to(_dt.from_numpy_dtype(dtype))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value over the last two dims.

    Args:
        query: (..., L, E); key: (..., S, E); value: (..., S, Ev).
        attn_mask: broadcastable to (..., L, S). A bool mask marks with True
            the pairs that take part; a float mask is added to the scores.
        dropout_p: dropout probability on the attention weights.
        is_causal: mask out keys after each query (top-left aligned, as
            PyTorch); not together with ``attn_mask``.
        scale: defaults to 1 / sqrt(E).
        enable_gqa: allow fewer key/value heads (dim -3) than query heads; each
            key/value head serves ``Hq / Hkv`` consecutive query heads.

    Returns:
        (..., L, Ev). A query whose keys are all masked out gets zeros (and
        zero gradients), as PyTorch's current kernels.
    """
    if _amp.active:
        return _amp.run("scaled_dot_product_attention", scaled_dot_product_attention, query, key,
                        value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        check_tensor(t, op, name)
        if t.ndim < 2:
            raise RuntimeError(f"{op}: expected {name} with at least 2 dimensions, got "
                               f"{fmt_shape(t.shape)}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{op}: expected query (..., L, E), key (..., S, E) and value "
                           f"(..., S, Ev), got {fmt_shape(query.shape)}, {fmt_shape(key.shape)} "
                           f"and {fmt_shape(value.shape)}")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1], got {dropout_p}")
    L, S = query.shape[-2], key.shape[-2]
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(f"{op}: explicit attn_mask should not be set when is_causal=True")
        attn_mask = constant(np.tril(np.ones((L, S), dtype=np.bool_)))
        if type(query._array) is not np.ndarray:
            attn_mask = attn_mask.to(query.device)
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hk == 0 or hq % hk or value.shape[-3] != hk:
            raise RuntimeError(f"{op}: with enable_gqa, the query heads ({hq}) must be a "
                               f"multiple of the key and value heads ({hk}, {value.shape[-3]})")
        key = key.repeat_interleave(hq // hk, dim=-3)
        value = value.repeat_interleave(hq // hk, dim=-3)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    dtype = _dt.promote_types(query.dtype, key.dtype).np
    mask = _float_mask(attn_mask, dtype, op, true_means_masked=False)
    scores_shape = np.broadcast_shapes(tuple(query.shape[:-2]), tuple(key.shape[:-2])) + (L, S)
    if mask is not None:
        try:
            fits = np.broadcast_shapes(tuple(mask.shape), scores_shape) == scores_shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"{op}: attn_mask of shape {fmt_shape(mask.shape)} does not "
                               f"broadcast to the scores' shape {fmt_shape(scores_shape)} "
                               "(..., L, S)")
    fused = _SDP_ENABLED["flash"] or (type(query._array) is not np.ndarray
                                      and _SDP_ENABLED["mem_efficient"])
    if fused and _fusable(query, key, value, mask, dropout_p):
        return Attention.apply(query, key, value, None if mask is None else mask._array, scale)
    if not _SDP_ENABLED["math"]:
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This "
                           "is likely due to turning off both the math kernel and the fused "
                           "kernels.")
    scores = query.matmul(key.transpose(-2, -1)) * scale  # (..., L, S)
    if mask is not None:
        scores = scores + mask
    weights = _dropout(SafeSoftmax.apply(scores, scores.ndim - 1), dropout_p)
    return weights.matmul(value)


# Which implementations scaled_dot_product_attention may use, PyTorch's switches
# (backends.cuda.enable_*_sdp, nn.attention.sdpa_kernel): "flash" is the fused
# Attention node (on CUDA "mem_efficient" too), "math" the composition of ops.
# Ember has no cuDNN kernel.
_SDP_ENABLED = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def _fusable(query, key, value, mask, dropout_p):
    """Whether ``Attention`` computes this call: no dropout, a mask that needs
    no gradient, and one floating dtype and batch shape for q, k and v."""
    if dropout_p > 0 or (mask is not None and mask.requires_grad):
        return False
    dt = query._array.dtype
    if dt.kind != "f" or key._array.dtype != dt or value._array.dtype != dt:
        return False
    if mask is not None and mask._array.dtype != dt:
        return False
    return query.shape[:-2] == key.shape[:-2] == value.shape[:-2] and query.ndim >= 3


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """The computation of ``nn.MultiheadAttention``, on sequence-first input.

    Args:
        query: (L, N, E) or unbatched (L, E); key, value: (S, N, Ek / Ev) or (S, Ek / Ev).
        in_proj_weight, in_proj_bias: the packed (3E, E) and (3E,) projections of
            query, key and value; with ``use_separate_proj_weight``,
            ``q_proj_weight``, ``k_proj_weight`` and ``v_proj_weight`` instead.
        bias_k, bias_v: (1, 1, E) rows appended to the keys and values.
        add_zero_attn: append a zero key and value after the projection.
        key_padding_mask: (N, S); True (or -inf) marks keys to ignore.
        attn_mask: (L, S) or (N * num_heads, L, S); True (or -inf) marks pairs
            to ignore; a float mask is added to the scores.
        static_k, static_v: (N * num_heads, S, E / num_heads) keys and values
            used as they are, instead of projecting ``key`` and ``value``.
        is_causal: a hint that ``attn_mask`` is the causal mask (it must be given).

    Returns:
        (output (L, N, E), weights (N, L, S) averaged over heads, or
        (N, num_heads, L, S); None unless ``need_weights``).

    Differs from PyTorch: a query whose keys are all masked gets zero output and
    weights on both paths; PyTorch gives NaN when ``need_weights=True``.
    """
    op = "multi_head_attention_forward"
    batched = query.ndim == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise RuntimeError(f"{op}: expected query of embedding size {embed_dim_to_check}, got "
                           f"{embed_dim} (query shape {fmt_shape(query.shape)})")
    if embed_dim % num_heads:
        raise RuntimeError(f"{op}: embed_dim {embed_dim} is not divisible by num_heads "
                           f"{num_heads}")
    head_dim = embed_dim // num_heads
    if is_causal and attn_mask is None:
        raise RuntimeError(f"{op}: need attn_mask if specifying the is_causal hint (pass the "
                           "causal mask, e.g. Transformer.generate_square_subsequent_mask)")
    dtype = query._array.dtype
    attn_mask = _float_mask(attn_mask, dtype, op, true_means_masked=True)
    key_padding_mask = _float_mask(key_padding_mask, dtype, op, true_means_masked=True)

    # (L, N, E) -> (L, N, E) projections
    if use_separate_proj_weight:
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        q = linear(query, q_proj_weight, b_q)
        k = linear(key, k_proj_weight, b_k)
        v = linear(value, v_proj_weight, b_v)
    else:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
        b_q, b_k, b_v = in_proj_bias.chunk(3) if in_proj_bias is not None else (None,) * 3
        q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)

    if attn_mask is not None:
        expected = [(tgt_len, key.shape[0]), (bsz * num_heads, tgt_len, key.shape[0])]
        if tuple(attn_mask.shape) not in expected:
            raise RuntimeError(f"{op}: expected attn_mask of shape {fmt_shape(expected[0])} or "
                               f"{fmt_shape(expected[1])}, got {fmt_shape(attn_mask.shape)}")
        if attn_mask.ndim == 2:
            attn_mask = attn_mask.unsqueeze(0)
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise RuntimeError(f"{op}: bias_k and bias_v cannot be combined with static_k/v")
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask, key_padding_mask = _pad_key(attn_mask), _pad_key(key_padding_mask)

    # (L, N, E) -> (N * H, L, E / H)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = static_k if static_k is not None else \
        k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = static_v if static_v is not None else \
        v.reshape(v.shape[0], bsz * num_heads, -1).transpose(0, 1)
    if add_zero_attn:
        k = cat([k, constant(xp_of(k._array).zeros((k.shape[0], 1) + tuple(k.shape[2:]), dtype))], 1)
        v = cat([v, constant(xp_of(v._array).zeros((v.shape[0], 1) + tuple(v.shape[2:]), dtype))], 1)
        attn_mask, key_padding_mask = _pad_key(attn_mask), _pad_key(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise RuntimeError(f"{op}: expected key_padding_mask of shape "
                               f"{fmt_shape((bsz, src_len))}, got "
                               f"{fmt_shape(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm

    scale = 1.0 / math.sqrt(head_dim)
    p_drop = dropout_p if training else 0.0
    if not need_weights and _fusable(q, k, v, attn_mask, p_drop):
        out = Attention.apply(q, k, v, None if attn_mask is None else attn_mask._array, scale)
    else:
        scores = q.matmul(k.transpose(1, 2)) * scale  # (N * H, L, S)
        if attn_mask is not None:
            scores = scores + attn_mask
        # As PyTorch, the weights returned are the ones after dropout.
        weights = _dropout(SafeSoftmax.apply(scores, 2), p_drop)
        out = weights.matmul(v)  # (N * H, L, Ev / H)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, -1)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if not need_weights:
        return (out if batched else out.squeeze(1)), None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        return out.squeeze(1), weights.squeeze(0)
    return out, weights


def _pad_key(mask):
    """A float mask with one more key column (0: the appended key takes part)."""
    if mask is None:
        return None
    column = xp_of(mask._array).zeros(tuple(mask.shape[:-1]) + (1,), mask._array.dtype)
    return cat([mask, constant(column)], -1)
