"""scaled_dot_product_attention, multi_head_attention_forward and nn.MultiheadAttention."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
from ember.ops.attention import scaled_dot_product_attention
from reference import check, close, rand


def sdpa(t, *args, **kwargs):
    f = scaled_dot_product_attention if isinstance(t, ember.Tensor) else \
        TF.scaled_dot_product_attention
    return f(t, *args, **kwargs)


QKV = (rand((2, 3, 4, 5), 0), rand((2, 3, 6, 5), 1), rand((2, 3, 6, 7), 2))


@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"scale": 0.3}])
def test_sdpa_matches_torch(kwargs):
    check(lambda q, k, v: sdpa(q, k, v, **kwargs), *QKV)


def test_sdpa_float_and_bool_masks():
    check(lambda q, k, v, m: sdpa(q, k, v, m), *QKV, rand((4, 6), 3))
    keep = np.random.default_rng(4).random((2, 1, 4, 6)) > 0.3
    keep[..., 0] = True

    def run(q, k, v):
        mod = ember if isinstance(q, ember.Tensor) else torch
        return sdpa(q, k, v, attn_mask=mod.tensor(keep))

    check(run, *QKV)


def test_sdpa_fully_masked_rows_give_zeros_like_torch():
    keep = np.ones((4, 6), bool)
    keep[1] = False
    bias = np.where(keep, 0.0, -np.inf)
    for mask in (keep, bias):
        def run(q, k, v, mask=mask):
            mod = ember if isinstance(q, ember.Tensor) else torch
            return sdpa(q, k, v, attn_mask=mod.tensor(mask))

        out = check(run, *QKV)
        assert not np.any(out.detach().numpy()[..., 1, :])


def test_sdpa_unbatched_and_gqa():
    check(lambda q, k, v: sdpa(q, k, v), rand((4, 5)), rand((6, 5), 1), rand((6, 3), 2))
    # second=False: torch's CPU flash kernel, chosen here, has no double backward.
    check(lambda q, k, v: sdpa(q, k, v, enable_gqa=True), rand((2, 4, 3, 5)),
          rand((2, 2, 6, 5), 1), rand((2, 2, 6, 5), 2), second=False)


def test_sdpa_fuses_the_common_case_into_one_node():
    q, k, v = (ember.tensor(a, requires_grad=True) for a in QKV)
    assert sdpa(q, k, v, is_causal=True).grad_fn.name() == "AttentionBackward0"
    # A mask that needs its own gradient, or dropout, take the composed path.
    mask = ember.zeros(4, 6, requires_grad=True)
    assert sdpa(q, k, v, mask).grad_fn.name() != "AttentionBackward0"


def test_sdpa_gradient_reaches_a_float_mask_and_broadcast_batches():
    check(lambda q, k, v, m: sdpa(q, k, v, m), *QKV, rand((2, 1, 4, 6), 3))
    check(lambda q, k, v: sdpa(q, k, v), rand((2, 3, 4, 5)), rand((1, 3, 6, 5), 1),
          rand((2, 1, 6, 7), 2))


def test_sdpa_float32_heads_split_from_one_projection_match_torch():
    # GPT's layout: q, k, v are strided views of one (B, T, 3C) tensor.
    qkv = np.random.default_rng(5).standard_normal((2, 16, 3 * 32)).astype(np.float32)
    g = np.random.default_rng(6).standard_normal((2, 4, 16, 8)).astype(np.float32)
    outs = []
    for mod in (ember, torch):
        x = mod.tensor(qkv, requires_grad=True)
        q, k, v = (t.view(2, 16, 4, 8).transpose(1, 2) for t in x.split(32, dim=2))
        y = sdpa(q, k, v, is_causal=True)
        y.backward(mod.tensor(g))
        outs.append((y.detach().numpy(), x.grad.numpy()))
    for ours, ref in zip(*outs):
        np.testing.assert_allclose(ours, ref, rtol=2e-5, atol=2e-6)


def test_sdpa_dropout_keeps_expectation():
    ember.manual_seed(0)
    q, k, v = (ember.tensor(a) for a in QKV)
    drops = [scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy() for _ in range(300)]
    full = scaled_dot_product_attention(q, k, v).numpy()
    np.testing.assert_allclose(np.mean(drops, 0), full, atol=0.25)
    assert not np.allclose(drops[0], full)


def test_sdpa_errors():
    q, k, v = (ember.tensor(a) for a in QKV)
    shapes = r"query \(\.\.\., L, E\).*\[2, 3, 4, 5\].*\[2, 3, 6, 4\]"
    with pytest.raises(RuntimeError, match=shapes):
        scaled_dot_product_attention(q, k[..., :4], v)
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal"):
        scaled_dot_product_attention(q, k, v, ember.zeros(4, 6), is_causal=True)
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \[4, 5\].*\[2, 3, 4, 6\]"):
        scaled_dot_product_attention(q, k, v, ember.zeros(4, 5))
    with pytest.raises(RuntimeError, match=r"query heads \(3\) must be a multiple.*\(2, 2\)"):
        scaled_dot_product_attention(q, k[:, :2], v[:, :2], enable_gqa=True)


# --- nn.MultiheadAttention ---------------------------------------------------


def make_pair(embed_dim=8, num_heads=2, **kwargs):
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(embed_dim, num_heads, dtype=torch.float64, **kwargs)
    with torch.no_grad():  # nonzero biases, so their gradients are exercised
        for p in ref.parameters():
            if p.ndim == 1:
                p.uniform_(-0.5, 0.5)
    ours = ember.nn.MultiheadAttention(embed_dim, num_heads, dtype=ember.float64, **kwargs)
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    assert list(ours.state_dict()) == list(ref.state_dict())
    for a, b in zip(ours.state_dict().values(), ref.state_dict().values()):
        assert tuple(a.shape) == tuple(b.shape)
    return ours, ref


def compare_attention(ours, ref, q, k, v, masks=None, **kwargs):
    """Outputs, weights and the gradients of q, k, v and every parameter."""
    masks = masks or {}
    xs_e = [ember.tensor(a, requires_grad=True) for a in (q, k, v)]
    xs_t = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out_e, w_e = ours(*xs_e, **{n: ember.tensor(m) for n, m in masks.items()}, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's mask-type deprecation notes
        out_t, w_t = ref(*xs_t, **{n: torch.tensor(m) for n, m in masks.items()}, **kwargs)
    close(out_e, out_t)
    if w_t is None:
        assert w_e is None
        loss_e, loss_t = out_e, out_t
    else:
        close(w_e, w_t, what="attention weights")
        loss_e, loss_t = out_e.sum() + (w_e * w_e).sum(), out_t.sum() + (w_t * w_t).sum()
    up = rand(tuple(loss_t.shape), 7)
    (loss_e * ember.tensor(up)).sum().backward()
    (loss_t * torch.tensor(up)).sum().backward()
    for a, b, name in zip(xs_e, xs_t, "qkv"):
        close(a.grad, b.grad, what=f"grad of {name}")
    params = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        close(p.grad, params[name].grad, what=f"grad of {name}")


def seqs(batch_first, L=4, S=6, N=3, E=8, kdim=8, vdim=8):
    shape = (lambda n, e: (N, n, e)) if batch_first else (lambda n, e: (n, N, e))
    return rand(shape(L, E), 0), rand(shape(S, kdim), 1), rand(shape(S, vdim), 2)


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_matches_torch(batch_first):
    ours, ref = make_pair(batch_first=batch_first)
    compare_attention(ours, ref, *seqs(batch_first))


def test_mha_masks():
    padding = np.zeros((3, 6), bool)
    padding[0, 4:] = padding[2, 1] = True
    causal_ish = np.triu(np.ones((4, 6), bool), k=3)
    float_mask = rand((4, 6), 5)
    per_head = rand((3 * 2, 4, 6), 6)
    for masks in ({"key_padding_mask": padding}, {"attn_mask": causal_ish},
                  {"attn_mask": float_mask}, {"attn_mask": per_head},
                  {"attn_mask": causal_ish, "key_padding_mask": padding},
                  {"attn_mask": float_mask, "key_padding_mask": np.where(padding, -np.inf, 0)}):
        ours, ref = make_pair()
        compare_attention(ours, ref, *seqs(False), masks=masks)


@pytest.mark.parametrize("kwargs", [{"need_weights": False}, {"average_attn_weights": False}])
def test_mha_weight_options(kwargs):
    ours, ref = make_pair(batch_first=True)
    compare_attention(ours, ref, *seqs(True), **kwargs)


def test_mha_without_weights_uses_the_fused_node_with_masks():
    keep = np.zeros((3, 6), bool)  # (N, S) key padding, True = ignore
    keep[0, 4:] = True
    causal = np.triu(np.ones((4, 6), bool), k=3)
    masks = {"attn_mask": causal, "key_padding_mask": keep}
    ours, ref = make_pair()
    compare_attention(ours, ref, *seqs(False), masks=masks, need_weights=False)
    out, _ = ours(*(ember.tensor(a, requires_grad=True) for a in seqs(False)),
                  **{n: ember.tensor(m) for n, m in masks.items()}, need_weights=False)
    names = set()
    stack = [out.grad_fn]
    while stack:  # the graph's node names
        node = stack.pop()
        names.add(node.name())
        stack.extend(fn for fn, _ in node.next_functions if fn is not None and
                     hasattr(fn, "name"))
    assert "AttentionBackward0" in names


@pytest.mark.parametrize("kwargs", [{"add_bias_kv": True}, {"add_zero_attn": True},
                                    {"kdim": 3, "vdim": 5}, {"bias": False}])
def test_mha_construction_options(kwargs):
    ours, ref = make_pair(**kwargs)
    compare_attention(ours, ref, *seqs(False, kdim=kwargs.get("kdim", 8),
                                       vdim=kwargs.get("vdim", 8)))


def test_mha_unbatched_and_causal_hint():
    ours, ref = make_pair()
    compare_attention(ours, ref, rand((4, 8)), rand((6, 8), 1), rand((6, 8), 2),
                      masks={"key_padding_mask": np.arange(6) > 3})
    ours, ref = make_pair()
    causal = np.triu(np.ones((4, 4), bool), k=1)
    x = rand((4, 2, 8))
    compare_attention(ours, ref, x, x, x, masks={"attn_mask": causal}, is_causal=True)


def test_mha_init_and_repr():
    ember.manual_seed(0)
    m = ember.nn.MultiheadAttention(64, 4, add_bias_kv=True)
    assert repr(m) == repr(torch.nn.MultiheadAttention(64, 4, add_bias_kv=True))
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ on the (3E, E) in_proj_weight
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert not np.any(m.in_proj_bias.detach().numpy())
    assert not np.any(m.out_proj.bias.detach().numpy())
    assert tuple(m.bias_k.shape) == (1, 1, 64) and np.any(m.bias_k.detach().numpy())


def test_mha_errors():
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads.*10.*3"):
        ember.nn.MultiheadAttention(10, 3)
    m = ember.nn.MultiheadAttention(8, 2)
    x = ember.zeros(4, 3, 8)
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \[4, 4\].*got \[4, 5\]"):
        m(x, x, x, attn_mask=ember.zeros(4, 5))
    with pytest.raises(RuntimeError, match=r"key_padding_mask of shape \[3, 4\], got \[4, 3\]"):
        m(x, x, x, key_padding_mask=ember.zeros(4, 3, dtype=ember.bool))
    with pytest.raises(RuntimeError, match="need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="embedding size 8, got 6"):
        m(ember.zeros(4, 3, 6), x, x)
