"""Normalisation: layer_norm, rms_norm, group_norm, batch_norm and their layers."""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
from ember.ops.norm import batch_norm, group_norm, layer_norm, rms_norm
from reference import check, close, rand

OURS = SimpleNamespace(layer_norm=layer_norm, rms_norm=rms_norm, group_norm=group_norm,
                       batch_norm=batch_norm)


def F(t):
    """Ember's functions for an Ember tensor, torch.nn.functional for a torch one."""
    return OURS if isinstance(t, ember.Tensor) else TF


# --- functional ------------------------------------------------------------


@pytest.mark.parametrize("shape,normalized", [((3, 4), (4,)), ((2, 3, 4), (3, 4)), ((5,), 5)])
def test_layer_norm_matches_torch(shape, normalized):
    n = (normalized,) if isinstance(normalized, int) else normalized
    check(lambda x: F(x).layer_norm(x, n, eps=1e-3), rand(shape, 0))
    check(lambda x, w, b: F(x).layer_norm(x, n, w, b), rand(shape, 0), rand(n, 1),
          rand(n, 2))


def test_layer_norm_weight_only():
    check(lambda x, w: F(x).layer_norm(x, (4,), w, None, 1e-3), rand((3, 4)), rand(4, 1))


@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm_matches_torch(eps):
    check(lambda x: F(x).rms_norm(x, (2, 4), eps=eps), rand((3, 2, 4)))
    check(lambda x, w: F(x).rms_norm(x, [4], w, eps), rand((3, 2, 4)), rand(4, 1))


@pytest.mark.parametrize("shape,groups", [((2, 6, 5), 3), ((2, 4, 3, 3), 2), ((3, 4), 4),
                                          ((2, 6), 1)])
def test_group_norm_matches_torch(shape, groups):
    c = shape[1]
    check(lambda x, w, b: F(x).group_norm(x, groups, w, b), rand(shape), rand(c, 1), rand(c, 2))
    check(lambda x: F(x).group_norm(x, groups, eps=1e-2), rand(shape))


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (2, 3, 4, 4)])
def test_batch_norm_training_matches_torch_and_updates_running_stats(shape):
    c = shape[1]
    stats = {}

    def run(x, w, b):
        mod = ember if isinstance(x, ember.Tensor) else torch
        rm, rv = mod.tensor(rand(c, 3)), mod.tensor(rand(c, 4, positive=True))
        out = F(x).batch_norm(x, rm, rv, w, b, training=True, momentum=0.3)
        stats[mod.__name__] = (rm, rv)
        return out

    check(run, rand(shape), rand(c, 1), rand(c, 2))
    for ours, ref in zip(stats["ember"], stats["torch"]):
        close(ours, ref)


def test_batch_norm_eval_uses_running_stats():
    rm, rv = rand(3, 3), rand(3, 4, positive=True)

    def run(x, w, b):
        mod = ember if isinstance(x, ember.Tensor) else torch
        return F(x).batch_norm(x, mod.tensor(rm), mod.tensor(rv), w, b, False, eps=1e-3)

    check(run, rand((4, 3, 2)), rand(3, 1), rand(3, 2))


def test_batch_norm_without_affine_or_running_stats():
    check(lambda x: F(x).batch_norm(x, None, None, training=True), rand((4, 3)))


# --- the fused LayerNorm node: first-order backward with arrays -------------
# ``check(second=False)`` runs backward without create_graph, so these take the
# raw-array path; with ``second=True`` (above) the Ember-op path.


@pytest.mark.parametrize("second", [False, True])
@pytest.mark.parametrize("shape,n", [((2, 3, 4), (3, 4)), ((5, 4), (4,)), ((4,), (4,)),
                                     ((2, 3, 2, 2), (3, 2, 2))])
def test_layer_norm_fused_gradients(shape, n, second):
    check(lambda x, w, b: F(x).layer_norm(x, n, w, b), rand(shape), rand(n, 1), rand(n, 2),
          second=second)
    check(lambda x: F(x).layer_norm(x, n, eps=1e-3), rand(shape, 3, high=5), second=second)
    check(lambda x, w: F(x).rms_norm(x, n, w, 1e-4), rand(shape), rand(n, 1), second=second)


@pytest.mark.parametrize("grad_inputs", [[0], [1], [2], [1, 2], [0, 2]])
def test_layer_norm_fused_some_inputs_need_grad(grad_inputs):
    for second in (False, True):
        check(lambda x, w, b: F(x).layer_norm(x, (4,), w, b), rand((3, 4)), rand(4, 1),
              rand(4, 2), grad_inputs=grad_inputs, second=second)


def test_group_norm_and_layer_norm_non_contiguous_first_order():
    check(lambda x, w, b: F(x).group_norm(x, 2, w, b), rand((3, 4, 5)), rand(4, 1), rand(4, 2),
          second=False)
    check(lambda x, w: F(x).layer_norm(x.transpose(0, 1), (3,), w), rand((3, 5)), rand(3, 1),
          second=False)


def _grads(mod, x, w, b, up, create_graph, fn="layer_norm"):
    """Output and first-order gradients of ``fn`` (torch or Ember) for upstream ``up``."""
    x = mod.tensor(x, requires_grad=True)
    params = [None if p is None else mod.tensor(p, requires_grad=True) for p in (w, b)]
    args = params if fn == "layer_norm" else params[:1] + [1e-5]
    y = getattr(F(x), fn)(x, (x.shape[-1],), *args)
    need = [t for t in [x] + params if t is not None]
    return [y] + list(mod.autograd.grad(y, need, mod.tensor(up), create_graph=create_graph))


@pytest.mark.parametrize("fn,w,b", [("layer_norm", True, True), ("layer_norm", True, False),
                                    ("layer_norm", False, False), ("rms_norm", True, False)])
def test_layer_norm_float32_gpt_sized_matches_torch(fn, w, b):
    """The C3 shape in float32: values and first-order gradients of both backward paths
    against torch in float64."""
    x = (rand((16, 128, 256), 0) + 0.5).astype(np.float32)
    ws, bs = rand(256, 1).astype(np.float32), rand(256, 2).astype(np.float32)
    w, b = ws if w else None, bs if b else None
    up = rand((16, 128, 256), 3).astype(np.float32)
    f64 = lambda a: None if a is None else a.astype(np.float64)
    ref = _grads(torch, f64(x), f64(w), f64(b), f64(up), False, fn)
    for create_graph in (False, True):
        ours = _grads(ember, x, w, b, up, create_graph, fn)
        for k, (a, r) in enumerate(zip(ours, ref)):
            assert a.dtype == ember.float32, k
            close(a, r, rtol=1e-4, atol=2e-4, what=f"result {k} (create_graph={create_graph})")


def test_layer_norm_dtypes():
    """bfloat16 stays bfloat16 (statistics in float32); a float64 weight promotes the
    output, and each gradient has its input's dtype."""
    x = ember.tensor(rand((3, 4)), dtype=ember.bfloat16, requires_grad=True)
    w = ember.ones(4, dtype=ember.bfloat16, requires_grad=True)
    b = ember.zeros(4, dtype=ember.bfloat16, requires_grad=True)
    y = layer_norm(x, (4,), w, b)
    assert y.dtype == ember.bfloat16
    close(y.float(), TF.layer_norm(torch.tensor(rand((3, 4))).bfloat16().float(), (4,)),
          rtol=1e-2, atol=1e-2)
    y.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == ember.bfloat16
    x = ember.tensor(rand((3, 4)), dtype=ember.float32, requires_grad=True)
    w = ember.tensor(rand(4, 1), requires_grad=True)
    y = rms_norm(x, (4,), w)
    assert y.dtype == ember.float64
    (y * y).sum().backward()
    assert x.grad.dtype == ember.float32 and w.grad.dtype == ember.float64


# --- errors ----------------------------------------------------------------


def test_layer_norm_shape_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[5\].*\[\*, 5\].*\[2, 3, 4\]"):
        layer_norm(ember.zeros(2, 3, 4), (5,))
    with pytest.raises(RuntimeError, match=r"weight of shape \[4\].*got \[3\]"):
        layer_norm(ember.zeros(2, 4), (4,), ember.ones(3))


def test_group_norm_groups_must_divide_channels():
    with pytest.raises(RuntimeError, match=r"divisible by num_groups.*\[2, 6, 3\].*num_groups=4"):
        group_norm(ember.zeros(2, 6, 3), 4)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\[1, 3\]"):
        batch_norm(ember.zeros(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match=r"running_mean of shape \[3\].*got \[2\]"):
        batch_norm(ember.zeros(2, 3), ember.zeros(2), ember.ones(3))
    with pytest.raises(ValueError, match="running_mean and running_var must be given"):
        batch_norm(ember.zeros(2, 3), None, None, training=False)


# --- layers ----------------------------------------------------------------


def load_from(ours, ref):
    """Copy torch's state_dict into our module (values as float64 arrays)."""
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})


def compare_layer(ours, ref, x, steps=1):
    """Same output and same gradients of the input and of every parameter."""
    load_from(ours, ref)
    for _ in range(steps):
        xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ye, yt = ours(xe), ref(xt)
        close(ye, yt)
        up = rand(tuple(yt.shape), 9)
        (ye * ember.tensor(up)).sum().backward()
        (yt * torch.tensor(up)).sum().backward()
        close(xe.grad, xt.grad, what="input grad")
    params = dict(ref.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(params)
    for name, p in ours.named_parameters():
        close(p.grad, params[name].grad, what=f"grad of {name}")
    assert list(ours.state_dict()) == list(ref.state_dict())
    for (k, a), b in zip(ours.state_dict().items(), ref.state_dict().values()):
        assert tuple(a.shape) == tuple(b.shape), k
        close(a, b, what=k)


F64 = {"dtype": torch.float64}


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (4, 3)), ("BatchNorm1d", (4, 3, 5)),
                                       ("BatchNorm2d", (2, 3, 2, 2))])
def test_batchnorm_running_stats_after_several_steps(cls, shape, momentum):
    ref = getattr(torch.nn, cls)(3, momentum=momentum, **F64)
    with torch.no_grad():
        ref.weight.uniform_(0.5, 1.5), ref.bias.uniform_(-1, 1)
    ours = getattr(ember.nn, cls)(3, momentum=momentum, dtype=ember.float64)
    compare_layer(ours, ref, rand(shape, 1, high=3), steps=3)  # state_dict compared inside
    ref.eval(), ours.eval()
    compare_layer(ours, ref, rand(shape, 2))


@pytest.mark.parametrize("affine,track", [(False, True), (True, False), (False, False)])
def test_batchnorm_options(affine, track):
    ref = torch.nn.BatchNorm2d(3, affine=affine, track_running_stats=track, **F64)
    ours = ember.nn.BatchNorm2d(3, affine=affine, track_running_stats=track,
                                dtype=ember.float64)
    compare_layer(ours, ref, rand((2, 3, 2, 2)))
    ref.eval(), ours.eval()
    compare_layer(ours, ref, rand((2, 3, 2, 2), 1))


@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False},
                                    {"eps": 1e-3}])
def test_layernorm_layer(kwargs):
    ref = torch.nn.LayerNorm((3, 4), **kwargs, **F64)
    for p in ref.parameters():
        torch.nn.init.uniform_(p, -1, 1)
    compare_layer(ember.nn.LayerNorm((3, 4), **kwargs, dtype=ember.float64), ref,
                  rand((2, 3, 4)))


@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"eps": 1e-4}])
def test_rmsnorm_layer(kwargs):
    ref = torch.nn.RMSNorm(4, **kwargs, **F64)
    for p in ref.parameters():
        torch.nn.init.uniform_(p, -1, 1)
    compare_layer(ember.nn.RMSNorm(4, **kwargs, dtype=ember.float64), ref, rand((2, 3, 4)))


@pytest.mark.parametrize("affine", [True, False])
def test_groupnorm_layer(affine):
    ref = torch.nn.GroupNorm(2, 4, affine=affine, **F64)
    for p in ref.parameters():
        torch.nn.init.uniform_(p, -1, 1)
    compare_layer(ember.nn.GroupNorm(2, 4, affine=affine, dtype=ember.float64), ref,
                  rand((3, 4, 5)))


def test_default_init_and_repr_match_torch():
    pairs = [(ember.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)),
             (ember.nn.BatchNorm2d(3, momentum=None, affine=False),
              torch.nn.BatchNorm2d(3, momentum=None, affine=False)),
             (ember.nn.LayerNorm(4, bias=False), torch.nn.LayerNorm(4, bias=False)),
             (ember.nn.RMSNorm([2, 3]), torch.nn.RMSNorm([2, 3])),
             (ember.nn.BatchNorm1d(3, bias=False), torch.nn.BatchNorm1d(3, bias=False)),
             (ember.nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)),
             (ember.nn.GroupNorm(2, 4, bias=False), torch.nn.GroupNorm(2, 4, bias=False))]
    for ours, ref in pairs:
        assert repr(ours) == repr(ref)
        assert list(ours.state_dict()) == list(ref.state_dict())
        for a, b in zip(ours.state_dict().values(), ref.state_dict().values()):
            close(a, b)


def test_layer_errors():
    with pytest.raises(ValueError, match="expected 4D input.*got 3D"):
        ember.nn.BatchNorm2d(3)(ember.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups.*6.*4"):
        ember.nn.GroupNorm(4, 6)
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[3\].*\[2, 4\]"):
        ember.nn.LayerNorm(3)(ember.zeros(2, 4))


def test_half_inputs_with_float32_weights_keep_their_dtype_like_torch():
    from ember.nn import functional as EF
    r = np.random.default_rng(9)
    x4, x3 = r.standard_normal((2, 4)), r.standard_normal((2, 3, 4))
    for half, thalf in ((ember.bfloat16, torch.bfloat16), (ember.float16, torch.float16)):
        cases = [
            (lambda F, L, h: F.layer_norm(L.tensor(x4).to(h), (4,), L.ones(4), L.zeros(4))),
            (lambda F, L, h: F.rms_norm(L.tensor(x4).to(h), (4,), L.ones(4))),
            (lambda F, L, h: F.group_norm(L.tensor(x3).to(h), 1, L.ones(3), L.zeros(3))),
            (lambda F, L, h: F.batch_norm(L.tensor(x3).to(h), L.zeros(3), L.ones(3), L.ones(3),
                                          L.zeros(3), training=True)),
        ]
        for case in cases:
            ours = case(EF, ember, half)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # torch: "Mismatch dtype"
                theirs = case(TF, torch, thalf)
            assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
            np.testing.assert_allclose(ours.float().numpy(), theirs.float().numpy(),
                                       rtol=2e-2, atol=2e-2)
