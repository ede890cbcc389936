"""``ember.autocast`` against ``torch.autocast`` on the CPU.

Each op of the table runs under autocast on both libraries, on the same
float32 data (and on bfloat16 data, to see the float32 ops widen it): the
result dtypes must match, the values agree within bfloat16's precision, and
the float32 leaves get float32 gradients that agree too. Then the region
itself: nesting, ``enabled=False``, the decorator, the deprecated spellings,
the errors, the cache of weight casts, ``custom_fwd``/``custom_bwd``, and a
training step with ``GradScaler``.
"""

import warnings

import numpy as np
import pytest
import torch

import ember
from ember.ops import _autocast as autocast_mode  # the mechanism's state

BF16_TOL = 3e-2  # a few bfloat16 ulps (8 significant bits), relative to the result's scale


def _arrays(seed):
    rng = np.random.default_rng(seed)

    def r(*shape, positive=False, unit=False):
        if unit:
            return rng.uniform(0.05, 0.95, shape)
        a = rng.standard_normal(shape)
        return np.abs(a) + 0.5 if positive else a
    return r


def maker(lib, dtype="float32", seed=0, grad=True):
    """``r(*shape)``: a leaf of ``lib`` from the seed's next array (the same on both libs)."""
    arrays = _arrays(seed)
    leaves = []

    def r(*shape, positive=False, unit=False, requires_grad=True):
        t = lib.tensor(arrays(*shape, positive=positive, unit=unit), dtype=getattr(lib, dtype))
        if grad and requires_grad:
            t.requires_grad_(True)
            leaves.append(t)
        return t
    r.leaves = leaves
    return r


def idx(lib, values):
    return lib.tensor(values)


# (name, fn(lib, F, r)): every call uses only PyTorch's API, so one lambda serves both.
OPS = [
    # lower precision
    ("mm", lambda L, F, r: L.mm(r(3, 4), r(4, 5))),
    ("bmm", lambda L, F, r: L.bmm(r(2, 3, 4), r(2, 4, 5))),
    ("matmul", lambda L, F, r: L.matmul(r(2, 3, 4), r(4, 5))),
    ("matmul_1d", lambda L, F, r: L.matmul(r(4), r(4))),
    ("__matmul__", lambda L, F, r: r(3, 4) @ r(4, 2)),
    ("Tensor.mm", lambda L, F, r: r(3, 4).mm(r(4, 2))),
    ("addmm", lambda L, F, r: L.addmm(r(3, 5), r(3, 4), r(4, 5))),
    ("addbmm", lambda L, F, r: L.addbmm(r(3, 5), r(2, 3, 4), r(2, 4, 5))),
    ("baddbmm", lambda L, F, r: L.baddbmm(r(2, 3, 5), r(2, 3, 4), r(2, 4, 5))),
    ("einsum", lambda L, F, r: L.einsum("ij,jk->ik", r(3, 4), r(4, 5))),
    ("tensordot", lambda L, F, r: L.tensordot(r(3, 4), r(4, 5), 1)),
    ("inner", lambda L, F, r: L.inner(r(3, 4), r(5, 4))),
    ("linear", lambda L, F, r: F.linear(r(3, 4), r(5, 4), r(5))),
    ("linear_3d", lambda L, F, r: F.linear(r(2, 3, 4), r(5, 4))),
    ("conv1d", lambda L, F, r: F.conv1d(r(2, 3, 8), r(4, 3, 3), r(4))),
    ("conv2d", lambda L, F, r: F.conv2d(r(2, 3, 6, 6), r(4, 3, 3, 3), r(4), padding=1)),
    ("conv3d", lambda L, F, r: F.conv3d(r(1, 2, 4, 4, 4), r(3, 2, 3, 3, 3), r(3))),
    ("conv_transpose1d", lambda L, F, r: F.conv_transpose1d(r(2, 3, 5), r(3, 4, 3), r(4))),
    ("conv_transpose2d", lambda L, F, r: F.conv_transpose2d(r(2, 3, 4, 4), r(3, 2, 3, 3))),
    ("conv_transpose3d", lambda L, F, r: F.conv_transpose3d(r(1, 2, 3, 3, 3), r(2, 2, 2, 2, 2))),
    ("prelu", lambda L, F, r: F.prelu(r(2, 3, 4), r(3))),
    ("sdpa", lambda L, F, r: F.scaled_dot_product_attention(r(2, 3, 4), r(2, 5, 4), r(2, 5, 4))),
    ("multi_dot", lambda L, F, r: L.linalg.multi_dot([r(3, 4), r(4, 5), r(5, 2)])),
    ("matrix_power", lambda L, F, r: L.linalg.matrix_power(r(3, 3), 3)),
    ("affine_grid", lambda L, F, r: F.affine_grid(r(1, 2, 3), (1, 1, 3, 4), align_corners=False)),
    # float32
    ("cross_entropy", lambda L, F, r: F.cross_entropy(r(3, 4), idx(L, [0, 1, 3]))),
    ("nll_loss", lambda L, F, r: F.nll_loss(r(3, 4), idx(L, [0, 1, 3]))),
    ("mse_loss", lambda L, F, r: F.mse_loss(r(3, 4), r(3, 4))),
    ("l1_loss", lambda L, F, r: F.l1_loss(r(3, 4), r(3, 4))),
    ("smooth_l1_loss", lambda L, F, r: F.smooth_l1_loss(r(3, 4), r(3, 4))),
    ("huber_loss", lambda L, F, r: F.huber_loss(r(3, 4), r(3, 4))),
    ("binary_cross_entropy",
     lambda L, F, r: F.binary_cross_entropy(r(3, 4, unit=True), r(3, 4, unit=True))),
    ("bce_with_logits", lambda L, F, r: F.binary_cross_entropy_with_logits(
        r(3, 4), r(3, 4, unit=True))),
    ("kl_div", lambda L, F, r: F.kl_div(r(3, 4), r(3, 4, unit=True), reduction="batchmean")),
    ("poisson_nll_loss", lambda L, F, r: F.poisson_nll_loss(r(3, 4), r(3, 4, positive=True))),
    ("margin_ranking_loss",
     lambda L, F, r: F.margin_ranking_loss(r(3), r(3), L.tensor([1.0, -1.0, 1.0]))),
    ("hinge_embedding_loss",
     lambda L, F, r: F.hinge_embedding_loss(r(3, 4), L.tensor([[1.0, -1.0, 1.0, -1.0]] * 3))),
    ("soft_margin_loss", lambda L, F, r: F.soft_margin_loss(r(3, 4), L.ones(3, 4))),
    ("multilabel_soft_margin_loss",
     lambda L, F, r: F.multilabel_soft_margin_loss(r(3, 4), L.ones(3, 4))),
    ("cosine_embedding_loss",
     lambda L, F, r: F.cosine_embedding_loss(r(3, 4), r(3, 4), L.tensor([1.0, -1.0, 1.0]))),
    ("multi_margin_loss", lambda L, F, r: F.multi_margin_loss(r(3, 4), idx(L, [0, 1, 3]))),
    ("multilabel_margin_loss", lambda L, F, r: F.multilabel_margin_loss(
        r(3, 4), idx(L, [[0, 1, -1, 0], [2, -1, 0, 0], [3, 2, 1, 0]]))),
    ("triplet_margin_loss", lambda L, F, r: F.triplet_margin_loss(r(3, 4), r(3, 4), r(3, 4))),
    ("ctc_loss", lambda L, F, r: F.ctc_loss(
        r(5, 2, 4).log_softmax(2), idx(L, [[1, 2], [1, 1]]), idx(L, [5, 5]), idx(L, [2, 2]))),
    ("prod", lambda L, F, r: L.prod(r(3, 4))),
    ("quantile", lambda L, F, r: L.quantile(r(3, 4), 0.3, dim=1)),
    ("nanquantile", lambda L, F, r: L.nanquantile(r(3, 4), 0.3)),
    ("cdist", lambda L, F, r: L.cdist(r(3, 4), r(5, 4))),
    ("trace", lambda L, F, r: L.trace(r(3, 3))),
    ("max_pool3d", lambda L, F, r: F.max_pool3d(r(1, 2, 4, 4, 4), 2)),
    ("avg_pool3d", lambda L, F, r: F.avg_pool3d(r(1, 2, 4, 4, 4), 2)),
    ("adaptive_avg_pool3d", lambda L, F, r: F.adaptive_avg_pool3d(r(1, 2, 4, 4, 4), 2)),
    ("adaptive_max_pool3d", lambda L, F, r: F.adaptive_max_pool3d(r(1, 2, 4, 4, 4), 2)),
    ("max_unpool2d", lambda L, F, r: F.max_unpool2d(
        *F.max_pool2d(r(1, 1, 4, 4), 2, return_indices=True), 2)),
    ("max_unpool3d", lambda L, F, r: F.max_unpool3d(
        *F.max_pool3d(r(1, 1, 4, 4, 4), 2, return_indices=True), 2)),
    ("pad_reflect_1d", lambda L, F, r: F.pad(r(2, 3, 6), (2, 1), mode="reflect")),
    ("pad_reflect_2d", lambda L, F, r: F.pad(r(2, 3, 5, 5), (2, 1, 1, 2), mode="reflect")),
    ("pad_replicate_1d", lambda L, F, r: F.pad(r(2, 3, 6), (2, 1), mode="replicate")),
    ("pad_replicate_2d", lambda L, F, r: F.pad(r(2, 3, 5, 5), (2, 1, 1, 2), mode="replicate")),
    ("pad_replicate_3d", lambda L, F, r: F.pad(r(1, 2, 3, 3, 3), (1,) * 6, mode="replicate")),
    ("grid_sample", lambda L, F, r: F.grid_sample(
        r(1, 2, 4, 4), r(1, 3, 3, 2).tanh(), align_corners=False)),
    ("linalg.cholesky", lambda L, F, r: L.linalg.cholesky(
        L.eye(3) * 3 + 0.1 * (lambda a: a @ a.mT)(r(3, 3)))),
    ("linalg.inv", lambda L, F, r: L.linalg.inv(L.eye(3) * 3 + 0.3 * r(3, 3))),
    ("inverse", lambda L, F, r: L.inverse(L.eye(3) * 3 + 0.3 * r(3, 3))),
    ("linalg.solve", lambda L, F, r: L.linalg.solve(L.eye(3) * 3 + 0.3 * r(3, 3), r(3, 2))),
    ("linalg.svdvals", lambda L, F, r: L.linalg.svdvals(r(4, 3))),
    ("linalg.qr", lambda L, F, r: L.linalg.qr(r(4, 3))[1].abs()),
    ("linalg.eigvalsh", lambda L, F, r: L.linalg.eigvalsh((lambda a: a + a.mT)(r(3, 3)))),
    ("linalg.lstsq", lambda L, F, r: L.linalg.lstsq(r(4, 3), r(4, 2)).solution),
    ("linalg.solve_triangular", lambda L, F, r: L.linalg.solve_triangular(
        L.eye(3) * 2 + r(3, 3).triu(), r(3, 2), upper=True)),
    ("linalg.matrix_rank", lambda L, F, r: L.linalg.matrix_rank(r(3, 3))),
    ("linalg.tensorinv", lambda L, F, r: L.linalg.tensorinv(
        (L.eye(4) * 2 + 0.1 * r(4, 4)).reshape(4, 2, 2), ind=1)),
    ("pinverse", lambda L, F, r: L.pinverse(r(3, 3))),
    ("fractional_max_pool2d", lambda L, F, r: F.fractional_max_pool2d(
        r(1, 2, 6, 6), 2, output_size=3, _random_samples=L.full((1, 2, 2), 0.5))),
    # neither: the inputs' dtype
    ("mv", lambda L, F, r: L.mv(r(3, 4), r(4))),
    ("dot", lambda L, F, r: L.dot(r(4), r(4))),
    ("outer", lambda L, F, r: L.outer(r(3), r(4))),
    ("addmv", lambda L, F, r: L.addmv(r(3), r(3, 4), r(4))),
    ("addr", lambda L, F, r: L.addr(r(3, 4), r(3), r(4))),
    ("kron", lambda L, F, r: L.kron(r(2, 2), r(2, 2))),
    ("bilinear", lambda L, F, r: F.bilinear(r(3, 4), r(3, 2), r(5, 4, 2), r(5))),
    ("dist", lambda L, F, r: L.dist(r(3, 4), r(3, 4))),
    ("cosine_similarity", lambda L, F, r: F.cosine_similarity(r(3, 4), r(3, 4))),
    ("pairwise_distance", lambda L, F, r: F.pairwise_distance(r(3, 4), r(3, 4))),
    ("normalize", lambda L, F, r: F.normalize(r(3, 4))),
    ("linalg.norm", lambda L, F, r: L.linalg.norm(r(3, 4))),
    ("matrix_exp", lambda L, F, r: L.linalg.matrix_exp(0.3 * r(3, 3))),
    ("linalg.cross", lambda L, F, r: L.linalg.cross(r(2, 3), r(2, 3))),
    ("softmax", lambda L, F, r: F.softmax(r(3, 4), -1)),
    ("log_softmax", lambda L, F, r: F.log_softmax(r(3, 4), -1)),
    ("layer_norm", lambda L, F, r: F.layer_norm(r(3, 4), (4,), r(4), r(4))),
    ("group_norm", lambda L, F, r: F.group_norm(r(2, 4, 3), 2)),
    ("sum", lambda L, F, r: r(3, 4).sum()),
    ("exp", lambda L, F, r: r(3, 4).exp()),
    ("relu", lambda L, F, r: F.relu(r(3, 4))),
    ("max_pool2d", lambda L, F, r: F.max_pool2d(r(1, 2, 4, 4), 2)),
    ("avg_pool2d", lambda L, F, r: F.avg_pool2d(r(1, 2, 4, 4), 2)),
    ("pad_constant", lambda L, F, r: F.pad(r(2, 3, 6), (2, 1))),
    ("pad_circular", lambda L, F, r: F.pad(r(2, 3, 6), (2, 1), mode="circular")),
    ("pad_reflect_3d", lambda L, F, r: F.pad(r(1, 2, 3, 3, 3), (1,) * 6, mode="reflect")),
    ("interpolate", lambda L, F, r: F.interpolate(r(1, 2, 3, 3), scale_factor=2,
                                                  mode="bilinear")),
    ("gaussian_nll_loss",
     lambda L, F, r: F.gaussian_nll_loss(r(3, 4), r(3, 4), r(3, 4, positive=True))),
    ("embedding", lambda L, F, r: F.embedding(idx(L, [0, 2]), r(4, 3))),
    ("adaptive_avg_pool1d", lambda L, F, r: F.adaptive_avg_pool1d(r(1, 2, 7), 3)),
    ("adaptive_avg_pool2d", lambda L, F, r: F.adaptive_avg_pool2d(r(1, 2, 7, 7), 3)),
    ("cov", lambda L, F, r: L.cov(r(3, 5))),
    ("corrcoef", lambda L, F, r: L.corrcoef(r(3, 5))),
    ("unfold", lambda L, F, r: F.unfold(r(1, 2, 4, 4), 2)),
    # promote
    ("cat", lambda L, F, r: L.cat([r(2, 3), r(1, 3).to(L.bfloat16)])),
    ("stack", lambda L, F, r: L.stack([r(2, 3).to(L.bfloat16), r(2, 3)])),
    ("index_copy", lambda L, F, r: r(4, 3).to(L.bfloat16).index_copy(0, idx(L, [0, 2]), r(2, 3))),
]

IDS = [name for name, _ in OPS]
def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _np(t):
    return t.detach().float().numpy() if t.dtype.is_floating_point else t.detach().numpy()


def _close(ours, ref, what):
    e = np.asarray(ours.detach().to(ember.float64).numpy())
    t = ref.detach().double().numpy()
    scale = max(1.0, float(np.abs(t).max()) if t.size else 1.0)
    np.testing.assert_allclose(e, t, rtol=BF16_TOL, atol=BF16_TOL * scale, err_msg=what)


def _run(lib, fn, dtype, autocast_dtype):
    r = maker(lib, dtype)
    F = lib.nn.functional
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autocast("cpu", dtype=autocast_dtype(lib)):
            out = fn(lib, F, r)
    return out, r.leaves


def _compare(fn, name, dtype, autocast_dtype):
    tout, tleaves = _run(torch, fn, dtype, autocast_dtype)
    eout, eleaves = _run(ember, fn, dtype, autocast_dtype)
    touts, eouts = _outputs(tout), _outputs(eout)
    assert len(eouts) == len(touts)
    for i, (e, t) in enumerate(zip(eouts, touts)):
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], \
            f"{name} output {i}: {e.dtype} vs torch's {t.dtype}"
        if e.dtype.is_floating_point:
            _close(e, t, f"{name} output {i}")
        else:
            np.testing.assert_array_equal(e.numpy(), t.numpy())
    # Gradients of a fixed weighting of the floating outputs, in float32 on both sides.
    tgrad = [(t, e) for t, e in zip(touts, eouts) if t.requires_grad]
    if not tgrad:
        return
    w = np.random.default_rng(7)
    tl, el = 0, 0
    for t, e in tgrad:
        v = w.standard_normal(tuple(t.shape))
        tl = tl + (t.float() * torch.tensor(v, dtype=torch.float32)).sum()
        el = el + (e.float() * ember.tensor(v, dtype=ember.float32)).sum()
    tl.backward()
    el.backward()
    for i, (te, ee) in enumerate(zip(tleaves, eleaves)):
        if te.grad is None:
            assert ee.grad is None or not np.any(ee.grad.numpy()), f"{name}: grad {i}"
            continue
        assert ee.grad is not None, f"{name}: leaf {i} got no gradient"
        assert str(ee.grad.dtype).split(".")[-1] == str(te.grad.dtype).split(".")[-1]
        _close(ee.grad, te.grad, f"{name}: grad of leaf {i}")


@pytest.mark.parametrize("name,fn", OPS, ids=IDS)
def test_ops_on_float32_inputs_match_torch(name, fn):
    _compare(fn, name, "float32", lambda lib: lib.bfloat16)


FP32_OPS = [(n, f) for n, f in OPS if n in (
    "cross_entropy", "mse_loss", "l1_loss", "huber_loss", "bce_with_logits", "kl_div",
    "soft_margin_loss", "prod", "quantile", "cdist", "trace", "max_pool3d", "avg_pool3d",
    "pad_reflect_2d", "pad_replicate_1d", "grid_sample", "mm", "linear", "conv2d", "relu",
    "softmax", "sum", "cat")]


@pytest.mark.parametrize("name,fn", FP32_OPS, ids=[n for n, _ in FP32_OPS])
def test_ops_on_bfloat16_inputs_match_torch(name, fn):
    """The float32 ops widen bfloat16 inputs; the others keep them."""
    _compare(fn, name, "bfloat16", lambda lib: lib.bfloat16)


F16_OPS = [(n, f) for n, f in OPS if n in (
    "mm", "linear", "conv2d", "baddbmm", "cross_entropy", "mse_loss", "cat", "relu")]


@pytest.mark.parametrize("name,fn", F16_OPS, ids=[n for n, _ in F16_OPS])
def test_ops_under_float16_autocast_match_torch(name, fn):
    _compare(fn, name, "float32", lambda lib: lib.float16)


@pytest.mark.parametrize("name,fn", [(n, f) for n, f in OPS if n in ("mm", "linear", "conv2d",
                                                                     "mse_loss", "cat")],
                         ids=["mm", "linear", "conv2d", "mse_loss", "cat"])
def test_float64_inputs_are_not_cast(name, fn):
    _compare(fn, name, "float64", lambda lib: lib.bfloat16)


def _twin(build):
    """The same module on both libraries: torch's parameters copied into Ember's."""
    torch.manual_seed(0)
    tm = build(torch)
    em = build(ember)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, em


MODULES = [
    ("LSTM", lambda L: L.nn.LSTM(3, 4), (5, 2, 3)),
    ("GRU", lambda L: L.nn.GRU(3, 4), (5, 2, 3)),
    ("RNN", lambda L: L.nn.RNN(3, 4), (5, 2, 3)),
    ("RNNCell", lambda L: L.nn.RNNCell(3, 4), (2, 3)),
    ("LSTMCell", lambda L: L.nn.LSTMCell(3, 4), (2, 3)),
    ("GRUCell", lambda L: L.nn.GRUCell(3, 4), (2, 3)),
    ("MultiheadAttention", lambda L: L.nn.MultiheadAttention(4, 2), (3, 2, 4)),
    ("TransformerEncoderLayer",
     lambda L: L.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), (3, 2, 4)),
    # no conv bias: batch norm cancels it, so its gradient is rounding noise
    ("Conv_BN_ReLU", lambda L: L.nn.Sequential(L.nn.Conv2d(2, 3, 3, bias=False),
                                               L.nn.BatchNorm2d(3), L.nn.ReLU()), (2, 2, 5, 5)),
    ("Linear_LayerNorm", lambda L: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.LayerNorm(4)),
     (2, 3)),
]


def _call(m, x):
    if isinstance(m, (torch.nn.MultiheadAttention, ember.nn.MultiheadAttention)):
        return m(x, x, x)
    return m(x)


def _module_outputs(build):
    tm, em = _twin(build[1])
    data = np.random.default_rng(3).standard_normal(build[2])
    tx = torch.tensor(data, dtype=torch.float32, requires_grad=True)
    ex = ember.tensor(data, dtype=ember.float32, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        touts = _outputs(_call(tm, tx))
    with ember.autocast("cpu", dtype=ember.bfloat16):
        eouts = _outputs(_call(em, ex))
    touts = [t for o in touts for t in _outputs(o)]
    eouts = [e for o in eouts for e in _outputs(o)]
    return (tm, tx, touts), (em, ex, eouts)


@pytest.mark.parametrize("build", MODULES, ids=[m[0] for m in MODULES])
def test_modules_values_and_gradients_match_torch(build):
    name = build[0]
    (tm, tx, touts), (em, ex, eouts) = _module_outputs(build)
    assert len(eouts) == len(touts)
    for i, (e, t) in enumerate(zip(eouts, touts)):
        _close(e, t, f"{name} output {i}")
    sum(t.float().sum() for t in touts).backward()
    sum(e.float().sum() for e in eouts).backward()
    _close(ex.grad, tx.grad, f"{name}: input gradient")
    for (pname, ep), tp in zip(em.named_parameters(), tm.parameters()):
        assert ep.grad.dtype == ember.float32, pname
        _close(ep.grad, tp.grad, f"{name}: gradient of {pname}")


@pytest.mark.parametrize("build", MODULES, ids=[m[0] for m in MODULES])
def test_modules_output_dtypes_match_torch(build):
    (_, _, touts), (_, _, eouts) = _module_outputs(build)
    assert [str(e.dtype).split(".")[-1] for e in eouts] == \
        [str(t.dtype).split(".")[-1] for t in touts]


# ---- the region ------------------------------------------------------------------

def _mm(lib, seed=0):
    r = maker(lib, seed=seed, grad=False)
    return lib.mm(r(3, 4), r(4, 2))


def _state(lib):
    return (lib.is_autocast_enabled("cpu"), str(lib.get_autocast_dtype("cpu")).split(".")[-1])


def test_nesting_and_enabled_false_match_torch():
    seen = {}
    for lib in (torch, ember):
        log = [_state(lib)]
        with lib.autocast("cpu"):
            log += [_state(lib), _mm(lib).dtype]
            with lib.autocast("cpu", enabled=False):
                log += [_state(lib), _mm(lib).dtype]
                with lib.autocast("cpu", dtype=lib.float16):
                    log += [_state(lib), _mm(lib).dtype]
                log += [_state(lib), _mm(lib).dtype]
            with lib.autocast("cpu", dtype=lib.float16):
                log += [_state(lib), _mm(lib).dtype]
            log += [_state(lib), _mm(lib).dtype]
        log += [_state(lib), _mm(lib).dtype]
        seen[lib] = [str(v).split(".")[-1] if not isinstance(v, tuple) else v for v in log]
    assert seen[ember] == seen[torch]
    assert not autocast_mode.active


def test_enabled_false_is_a_pass_through():
    r = maker(ember, seed=4)
    x, w, b = r(3, 4), r(5, 4), r(5)
    with ember.autocast("cpu", enabled=False):
        inside = ember.nn.functional.linear(x, w, b)
    outside = ember.nn.functional.linear(x, w, b)
    assert inside.dtype == ember.float32
    np.testing.assert_array_equal(inside.detach().numpy(), outside.detach().numpy())
    assert not autocast_mode.active


def test_the_decorator_matches_torch():
    for lib in (torch, ember):
        @lib.autocast("cpu")
        def forward():
            return _mm(lib).dtype, lib.is_autocast_enabled("cpu")
        dtype, on = forward()
        assert str(dtype).endswith("bfloat16") and on, lib
        assert not lib.is_autocast_enabled("cpu") and _mm(lib).dtype == lib.float32


def test_the_decorator_is_reentrant():
    """Each call enters a fresh region, so recursion restores the state on the way out
    (PyTorch reuses one region object and stays switched on after a recursive call)."""
    @ember.autocast("cpu", dtype=ember.float16)
    def forward(depth):
        inner = forward(depth - 1) if depth else None
        return _mm(ember).dtype, inner
    out = forward(2)
    assert out[0] == out[1][0] == out[1][1][0] == ember.float16
    assert not ember.is_autocast_enabled("cpu") and not autocast_mode.active
    assert forward.__name__ == "forward"


def test_state_is_restored_when_the_region_raises():
    with pytest.raises(RuntimeError, match="mm: expected 2-D"):
        with ember.autocast("cpu"):
            ember.mm(ember.ones(2), ember.ones(2, 2))
    assert not ember.is_autocast_enabled("cpu") and not autocast_mode.active
    assert _mm(ember).dtype == ember.float32


def test_set_and_get_the_state_as_torch():
    assert ember.get_autocast_dtype("cpu") == ember.bfloat16
    assert ember.get_autocast_dtype("cuda") == ember.float16
    assert not ember.is_autocast_enabled() and not ember.is_autocast_enabled("cuda")
    ember.set_autocast_enabled("cpu", True)
    try:
        assert ember.is_autocast_enabled("cpu") and _mm(ember).dtype == ember.bfloat16
        ember.set_autocast_dtype("cpu", ember.float16)
        assert _mm(ember).dtype == ember.float16
    finally:
        ember.set_autocast_enabled("cpu", False)
        ember.set_autocast_dtype("cpu", ember.bfloat16)
    assert _mm(ember).dtype == ember.float32 and not autocast_mode.active
    ember.set_autocast_enabled(True)  # PyTorch's older form: CUDA
    try:
        assert ember.is_autocast_enabled() and not ember.is_autocast_enabled("cpu")
        assert _mm(ember).dtype == ember.float32  # CPU tensors: CUDA autocast leaves them
    finally:
        ember.set_autocast_enabled(False)
    assert ember.amp.is_autocast_available("cpu") and ember.amp.is_autocast_available("cuda")
    assert not ember.amp.is_autocast_available("xpu")
    with ember.autocast("cpu", dtype=ember.float16) as region:
        assert region.fast_dtype == ember.float16 and region.device == "cpu"
    assert "autocast(device_type='cpu'" in repr(region)


def test_default_dtype_follows_set_autocast_dtype():
    ember.set_autocast_dtype("cpu", ember.float16)
    try:
        with ember.autocast("cpu"):
            assert _mm(ember).dtype == ember.float16
    finally:
        ember.set_autocast_dtype("cpu", ember.bfloat16)


def test_cuda_without_a_gpu_warns_and_disables_as_torch():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    for make in (lambda: ember.autocast("cuda"), lambda: ember.amp.autocast("cuda"),
                 lambda: ember.autocast(device_type="cuda", dtype=ember.float16)):
        with pytest.warns(UserWarning, match="CUDA is not available. Disabling autocast"):
            region = make()
        with region:
            assert not ember.is_autocast_enabled("cuda") and not ember.is_autocast_enabled()
            assert _mm(ember).dtype == ember.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with ember.autocast("cuda", enabled=False):  # switched off: nothing to say
            pass


def test_deprecated_spellings_warn_as_torch():
    with pytest.warns(FutureWarning, match=r"ember.cpu.amp.autocast\(args...\)` is deprecated"):
        region = ember.cpu.amp.autocast()
    with region:
        assert ember.is_autocast_enabled("cpu") and _mm(ember).dtype == ember.bfloat16
    with pytest.warns(FutureWarning):
        with ember.cpu.amp.autocast(dtype=ember.float16):
            assert _mm(ember).dtype == ember.float16
    with pytest.warns(FutureWarning):
        with ember.cpu.amp.autocast(enabled=False):
            assert _mm(ember).dtype == ember.float32
    with pytest.warns(FutureWarning, match=r"ember.cuda.amp.autocast\(args...\)` is deprecated"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            region = ember.cuda.amp.autocast()
    assert isinstance(region, ember.autocast) and region.device == "cuda"
    with pytest.warns(FutureWarning, match="custom_fwd"):
        ember.cuda.amp.custom_fwd(lambda ctx: None)
    with pytest.warns(FutureWarning, match="custom_bwd"):
        ember.cuda.amp.custom_bwd(lambda ctx: None)


def test_unsupported_dtype_warns_and_disables_as_torch():
    for dtype in (ember.float64, ember.int32, ember.float32):
        with pytest.warns(UserWarning, match="CPU Autocast only supports dtypes of "
                                             "ember.bfloat16, ember.float16"):
            region = ember.autocast("cpu", dtype=dtype)
        with region:
            assert not ember.is_autocast_enabled("cpu") and _mm(ember).dtype == ember.float32


def test_errors():
    with pytest.raises(ValueError, match="autocast: expected device_type of type str, got int"):
        ember.autocast(device_type=3)
    with pytest.raises(RuntimeError, match="autocast: expected device_type 'cpu' or 'cuda', "
                                           "got 'xpu2'"):
        ember.autocast("xpu2")
    with pytest.raises(TypeError, match="autocast: expected enabled to be a bool, got str"):
        ember.autocast("cpu", enabled="yes")
    with pytest.raises(TypeError, match="autocast: expected cache_enabled to be a bool, got "
                                        "str"):
        ember.autocast("cpu", cache_enabled="no")
    with pytest.raises(RuntimeError, match="is_autocast_enabled: expected device_type 'cpu' or "
                                           "'cuda', got 'foo'"):
        ember.is_autocast_enabled("foo")
    with pytest.raises(RuntimeError, match="get_autocast_dtype: expected device_type"):
        ember.get_autocast_dtype("foo")
    with pytest.raises(TypeError, match="set_autocast_enabled: expected enabled to be a bool, "
                                        "got str"):
        ember.set_autocast_enabled("cpu", "on")
    with pytest.raises(TypeError, match="set_autocast_dtype: expected dtype to be an "
                                        "ember.dtype, got str"):
        ember.set_autocast_dtype("cpu", "bfloat16")
    with pytest.raises(TypeError, match="set_autocast_cache_enabled: expected enabled to be a "
                                        "bool, got NoneType"):
        ember.set_autocast_cache_enabled(None)
    with pytest.raises(TypeError, match="custom_fwd.*device_type"):
        ember.amp.custom_fwd(lambda ctx: None)
    assert not autocast_mode.active


def test_inputs_already_in_the_autocast_dtype_are_not_copied():
    x = ember.ones(2, 2, dtype=ember.bfloat16)
    assert autocast_mode._cast(x, ember.bfloat16, "cpu", True) is x
    i = ember.ones(2, 2, dtype=ember.int64)
    assert autocast_mode._cast(i, ember.bfloat16, "cpu", True) is i


# ---- the cache of weight casts ---------------------------------------------------

def _nodes(t):
    """Every node of the graph behind ``t``."""
    seen, todo = set(), [t.grad_fn]
    while todo:
        node = todo.pop()
        if node is not None and node not in seen:
            seen.add(node)
            todo.extend(n for n, _ in getattr(node, "next_functions", ()))
    return seen


def test_a_weight_is_cast_once_per_region_and_its_gradient_accumulates():
    r = maker(ember, seed=5)
    w, x1, x2 = r(4, 3), r(2, 4, requires_grad=False), r(2, 4, requires_grad=False)
    with ember.autocast("cpu"):
        y1 = ember.mm(x1, w)
        y2 = ember.mm(x2, w)
        cast = autocast_mode._cache[id(w)][2]
        assert cast.dtype == ember.bfloat16 and len(autocast_mode._cache) == 1
        assert cast.grad_fn in _nodes(y1) and cast.grad_fn in _nodes(y2)
    assert not autocast_mode._cache  # leaving the outermost region clears it
    (y1.float().sum() + y2.float().sum()).backward()
    tw = torch.tensor(w.detach().numpy(), requires_grad=True)
    tx1, tx2 = torch.tensor(x1.numpy()), torch.tensor(x2.numpy())
    with torch.autocast("cpu"):
        (torch.mm(tx1, tw).float().sum() + torch.mm(tx2, tw).float().sum()).backward()
    _close(w.grad, tw.grad, "accumulated gradient of a cached weight")


def test_the_cache_skips_what_it_must():
    r = maker(ember, seed=6)
    w, x = r(4, 3), r(2, 4, requires_grad=False)
    with ember.autocast("cpu", cache_enabled=False):
        ember.mm(x, w)
        assert not autocast_mode._cache
    with ember.autocast("cpu"):
        with ember.no_grad():
            ember.mm(x, w)  # a cast made without a graph must not serve a later backward
        assert not autocast_mode._cache
        y = ember.mm(x, w)
        assert y.requires_grad
        with ember.no_grad():
            w.mul_(2.0)  # the kept cast is stale now: a fresh one is made
        y2 = ember.mm(x, w)
        np.testing.assert_allclose(y2.float().detach().numpy(),
                                   2 * y.float().detach().numpy(), rtol=2e-2)
        ember.mm(x, w.detach())  # not a leaf that requires grad: not kept
        assert len(autocast_mode._cache) == 1
        ember.clear_autocast_cache()
        assert not autocast_mode._cache
    ember.set_autocast_cache_enabled(False)
    try:
        assert not ember.is_autocast_cache_enabled()
        with ember.autocast("cpu"):
            ember.mm(x, w)
            assert not autocast_mode._cache
    finally:
        ember.set_autocast_cache_enabled(True)


def test_backward_inside_the_region_gives_float32_leaf_gradients():
    r = maker(ember, seed=8)
    x, w = r(3, 4), r(5, 4)
    tx, tw = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in (x, w))
    with ember.autocast("cpu"):
        ember.nn.functional.linear(x, w).float().pow(2).sum().backward()
    with torch.autocast("cpu"):
        torch.nn.functional.linear(tx, tw).float().pow(2).sum().backward()
    assert x.grad.dtype == w.grad.dtype == ember.float32
    _close(x.grad, tx.grad, "x.grad")
    _close(w.grad, tw.grad, "w.grad")


# ---- custom autograd Functions ---------------------------------------------------

def _custom_mm(lib, cast_inputs):
    log = []

    class MyMM(lib.autograd.Function):
        @staticmethod
        @lib.amp.custom_fwd(device_type="cpu", cast_inputs=cast_inputs)
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            log.append(("fwd", lib.is_autocast_enabled("cpu"), str(a.dtype).split(".")[-1]))
            return a.mm(b)

        @staticmethod
        @lib.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            log.append(("bwd", lib.is_autocast_enabled("cpu"),
                        str(lib.get_autocast_dtype("cpu")).split(".")[-1]))
            return g.mm(b.t().to(g.dtype)), a.t().to(g.dtype).mm(g)
    return MyMM, log


@pytest.mark.parametrize("cast_inputs", [None, "float32"])
@pytest.mark.parametrize("region_dtype", ["bfloat16", "float16"])
def test_custom_fwd_and_custom_bwd_match_torch(cast_inputs, region_dtype):
    results = {}
    for lib in (torch, ember):
        MyMM, log = _custom_mm(lib, None if cast_inputs is None else getattr(lib, cast_inputs))
        r = maker(lib, seed=9)
        a, b = r(3, 4), r(4, 2)
        with lib.autocast("cpu", dtype=getattr(lib, region_dtype)):
            y = MyMM.apply(a.to(getattr(lib, region_dtype)), b)
        y.float().sum().backward()
        results[lib] = (log, str(y.dtype).split(".")[-1], a.grad, b.grad)
    assert results[ember][:2] == results[torch][:2]
    _close(results[ember][2], results[torch][2], "a.grad")
    _close(results[ember][3], results[torch][3], "b.grad")


def test_custom_fwd_outside_autocast_runs_as_is():
    MyMM, log = _custom_mm(ember, ember.float32)
    r = maker(ember, seed=10)
    y = MyMM.apply(r(3, 4).to(ember.bfloat16), r(4, 2))
    assert log == [("fwd", False, "bfloat16")] and y.dtype == ember.float32


# ---- a training step ---------------------------------------------------------------

def _small_net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 3 * 3, 8), nn.ReLU(), nn.Linear(8, 3))


def _train(lib, model, batches, dtype):
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = lib.amp.GradScaler("cpu", init_scale=2.0 ** 10)
    losses, dtypes = [], []
    for x, y in batches:
        optimizer.zero_grad()
        with lib.autocast("cpu", dtype=getattr(lib, dtype)):
            out = model(x)
            loss = criterion(out, y)
        dtypes.append((str(out.dtype).split(".")[-1], str(loss.dtype).split(".")[-1]))
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
    return losses, dtypes, scaler.get_scale()


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_a_training_step_with_grad_scaler_matches_torch(dtype):
    tm, em = _twin(_small_net)
    rng = np.random.default_rng(11)
    data = [(rng.standard_normal((4, 2, 6, 6)), rng.integers(0, 3, 4)) for _ in range(3)]
    tlog = _train(torch, tm, [(torch.tensor(x, dtype=torch.float32), torch.tensor(y))
                              for x, y in data], dtype)
    elog = _train(ember, em, [(ember.tensor(x, dtype=ember.float32), ember.tensor(y))
                              for x, y in data], dtype)
    assert elog[1] == tlog[1] == [(dtype, "float32")] * 3
    assert elog[2] == tlog[2]
    np.testing.assert_allclose(elog[0], tlog[0], rtol=BF16_TOL)
    for (name, ep), tp in zip(em.named_parameters(), tm.parameters()):
        assert ep.dtype == ep.grad.dtype == ember.float32, name
        _close(ep, tp, f"{name} after three steps")
        _close(ep.grad, tp.grad, f"{name}.grad at the last step")


def test_the_public_names():
    assert ember.amp.autocast is ember.autocast is autocast_mode.autocast
    for name in ("autocast", "is_autocast_enabled", "get_autocast_dtype", "set_autocast_enabled",
                 "set_autocast_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
                 "clear_autocast_cache"):
        assert getattr(ember, name).__doc__, name
    for name in ("custom_fwd", "custom_bwd", "is_autocast_available", "GradScaler"):
        assert getattr(ember.amp, name).__doc__, name
    assert issubclass(ember.cpu.amp.autocast, ember.autocast)
    assert issubclass(ember.cuda.amp.autocast, ember.autocast)
    assert ember.cpu.is_available() and ember.cpu.device_count() == 1
    ember.cpu.synchronize()
