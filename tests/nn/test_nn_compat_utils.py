"""nn.utils pieces PyTorch programs use: the deprecated clip_grad_norm, conv/linear +
batch-norm fusion, skip_init, and functional_call (``ember.func`` and
``nn.utils.stateless``), against PyTorch."""

import re

import numpy as np
import pytest
import torch

import ember
import ember.func
from ember import nn
from ember.nn.utils import fusion
from reference import close, rand


def twin(ours, ref):
    """Give ``ours`` (Ember) the state of ``ref`` (torch), both in float64."""
    ref.double()
    ours.double()
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in
                          ref.state_dict().items()})
    return ours, ref


def both(a):
    return ember.tensor(a), torch.tensor(a)


# ---------------------------------------------------------------- clip_grad_norm

def test_clip_grad_norm_is_the_deprecated_clip_grad_norm_():
    grads = [rand((3, 2), 0), rand((4,), 1)]
    ps = [nn.Parameter(ember.zeros(*g.shape, dtype=ember.float64)) for g in grads]
    ts = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, t, g in zip(ps, ts, grads):
        p.grad, t.grad = ember.tensor(g), torch.tensor(g)
    with pytest.warns(FutureWarning, match=r"`nn.utils.clip_grad_norm` is now deprecated in "
                                           r"favor of `nn.utils.clip_grad_norm_`"):
        total = nn.utils.clip_grad_norm(ps, 0.5, norm_type=3.0)
    with pytest.warns(FutureWarning, match="deprecated"):
        total_t = torch.nn.utils.clip_grad_norm(ts, 0.5, norm_type=3.0)
    close(total, total_t)
    for p, t in zip(ps, ts):
        close(p.grad, t.grad)


# ---------------------------------------------------------------- fusion

def _random_bn(bn, seed):
    r = np.random.default_rng(seed)
    n = bn.num_features
    bn.running_mean.copy_(torch.tensor(r.normal(size=n)))
    bn.running_var.copy_(torch.tensor(r.uniform(0.5, 2.0, n)))
    if bn.weight is not None:
        with torch.no_grad():
            bn.weight.copy_(torch.tensor(r.normal(size=n)))
            bn.bias.copy_(torch.tensor(r.normal(size=n)))
    return bn


@pytest.mark.parametrize("conv,bn,shape,transpose", [
    ("Conv1d(2, 3, 3)", "BatchNorm1d(3)", (2, 2, 7), False),
    ("Conv2d(2, 4, 3, padding=1)", "BatchNorm2d(4)", (2, 2, 5, 6), False),
    ("Conv2d(2, 4, 3, bias=False)", "BatchNorm2d(4, affine=False)", (2, 2, 5, 5), False),
    ("Conv3d(2, 3, 2)", "BatchNorm3d(3, eps=1e-3)", (1, 2, 4, 3, 4), False),
    ("ConvTranspose2d(2, 3, 3, stride=2)", "BatchNorm2d(3)", (2, 2, 4, 4), True),
])
def test_fuse_conv_bn_eval_matches_torch(conv, bn, shape, transpose):
    tc, tb = eval("torch.nn." + conv), _random_bn(eval("torch.nn." + bn).double(), 1)
    ec, eb = twin(eval("nn." + conv), tc)[0], twin(eval("nn." + bn), tb)[0]
    for m in (tc, tb, ec, eb):
        m.eval()
    fused = fusion.fuse_conv_bn_eval(ec, eb, transpose)
    fused_t = torch.nn.utils.fusion.fuse_conv_bn_eval(tc, tb, transpose)
    assert type(fused) is type(ec) and fused is not ec
    assert list(fused.state_dict()) == list(fused_t.state_dict())
    close(fused.weight, fused_t.weight)
    close(fused.bias, fused_t.bias)
    assert fused.weight.requires_grad == fused_t.weight.requires_grad
    assert fused.bias.requires_grad == fused_t.bias.requires_grad
    x, xt = both(rand(shape, 2))
    close(fused(x), fused_t(xt))
    close(fused(x), eb(ec(x)), rtol=1e-12, atol=1e-12)
    # the originals are untouched
    close(ec.weight, tc.weight)


@pytest.mark.parametrize("bias,features", [(True, 4), (False, 4), (True, 1)])
def test_fuse_linear_bn_eval_matches_torch(bias, features):
    tl, tb = torch.nn.Linear(3, 4, bias=bias), _random_bn(torch.nn.BatchNorm1d(features), 3)
    el, eb = twin(nn.Linear(3, 4, bias=bias), tl)[0], twin(nn.BatchNorm1d(features), tb)[0]
    for m in (tl, tb, el, eb):
        m.eval()
    fused = fusion.fuse_linear_bn_eval(el, eb)
    fused_t = torch.nn.utils.fusion.fuse_linear_bn_eval(tl, tb)
    close(fused.weight, fused_t.weight)
    close(fused.bias, fused_t.bias)
    assert fused.bias.requires_grad == fused_t.bias.requires_grad
    x, xt = both(rand((5, 3), 4))
    close(fused(x), fused_t(xt))


def test_fuse_weights_directly_match_torch():
    args = [rand((4, 2, 3), 0), rand((4,), 1), rand((4,), 2), rand((4,), 3, positive=True), 1e-4,
            rand((4,), 4), rand((4,), 5)]

    def run(lib, fn, drop):
        vals = [None if i in drop else (lib.tensor(a, requires_grad=i == 0)
                                        if isinstance(a, np.ndarray) else a)
                for i, a in enumerate(args)]
        return fn(*vals)

    for drop in [(), (1,), (1, 5, 6)]:
        ours = run(ember, fusion.fuse_conv_bn_weights, drop)
        ref = run(torch, torch.nn.utils.fusion.fuse_conv_bn_weights, drop)
        for a, b in zip(ours, ref):
            assert isinstance(a, nn.Parameter) and a.requires_grad == b.requires_grad
            close(a, b)
    args[0] = rand((4, 3), 6)
    for drop in [(), (1,)]:
        ours = run(ember, fusion.fuse_linear_bn_weights, drop)
        ref = run(torch, torch.nn.utils.fusion.fuse_linear_bn_weights, drop)
        for a, b in zip(ours, ref):
            assert isinstance(a, nn.Parameter) and a.requires_grad == b.requires_grad
            close(a, b)


def test_fusion_errors_as_torch():
    conv, bn = nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        fusion.fuse_conv_bn_eval(conv, bn)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        fusion.fuse_conv_bn_eval(conv.eval(), bn.train())
    with pytest.raises(AssertionError, match="bn.running_mean and bn.running_var must not be"):
        fusion.fuse_conv_bn_eval(conv.eval(), nn.BatchNorm2d(3, track_running_stats=False).eval())
    with pytest.raises(AssertionError, match=re.escape(
            "To fuse, linear.out_features == bn.num_features or bn.num_features == 1, got "
            "linear.out_features=3 and bn.num_features=4")):
        fusion.fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(4).eval())
    assert nn.utils.fuse_conv_bn_eval is fusion.fuse_conv_bn_eval


# ---------------------------------------------------------------- skip_init

@pytest.mark.parametrize("cls,args,kwargs", [
    ("Linear", (3, 4), {}), ("Linear", (3, 4), dict(bias=False, dtype="float64")),
    ("Conv2d", (2, 3, 3), {}), ("Embedding", (10, 4), {}), ("BatchNorm1d", (5,), {}),
])
def test_skip_init_builds_the_module_without_drawing(cls, args, kwargs):
    dt = kwargs.pop("dtype", None)
    ours_kw = dict(kwargs, **({"dtype": getattr(ember, dt)} if dt else {}))
    ref_kw = dict(kwargs, **({"dtype": getattr(torch, dt)} if dt else {}))
    state = ember.get_rng_state()
    m = nn.utils.skip_init(getattr(nn, cls), *args, **ours_kw)
    after = ember.get_rng_state()
    assert after["bit_generator"] == state["bit_generator"]  # no initial values were drawn
    ref = torch.nn.utils.skip_init(getattr(torch.nn, cls), *args, **ref_kw)
    assert type(m) is getattr(nn, cls) and isinstance(m, nn.Module)
    assert m.training == ref.training
    assert list(m.state_dict()) == list(ref.state_dict())
    for (n, p), (nt, pt) in zip(m.named_parameters(), ref.named_parameters()):
        assert n == nt and tuple(p.shape) == tuple(pt.shape) and p.requires_grad
        assert str(p.dtype).split(".")[-1] == str(pt.dtype).split(".")[-1]
    # an ordinary construction of the same class does draw
    getattr(nn, cls)(*args, **ours_kw)
    if cls != "BatchNorm1d":
        assert ember.get_rng_state()["bit_generator"] != after["bit_generator"]
    m.reset_parameters()  # the real method is back on the instance


def test_skip_init_errors_as_torch():
    with pytest.raises(RuntimeError, match="Expected a Module; got <class 'int'>"):
        nn.utils.skip_init(int)
    with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip "
                                           "initialization"):
        nn.utils.skip_init(nn.ReLU)


# ---------------------------------------------------------------- functional_call

class Tied:
    """The same model in both libraries: a tied pair of linears and a buffer."""

    @staticmethod
    def build(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = lib.nn.Linear(3, 3)
                self.b = lib.nn.Linear(3, 3)
                self.b.weight = self.a.weight
                self.register_buffer("shift", lib.zeros(3, dtype=lib.float64))

            def forward(self, x, scale=1.0):
                return self.b(self.a(x).tanh()) * scale + self.shift

        return M().double()

    @classmethod
    def pair(cls):
        ref = cls.build(torch)
        ours = cls.build(ember)
        ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in
                              ref.state_dict().items()})
        return ours, ref


@pytest.mark.parametrize("keys,tie", [
    (("a.weight",), True), (("a.weight",), False), (("b.weight", "a.bias"), True),
    (("a.weight", "b.weight", "shift"), False), (("a.weight", "a.bias", "b.bias", "shift"), True),
])
def test_functional_call_matches_torch_values_and_gradients(keys, tie):
    ours, ref = Tied.pair()
    shapes = {"a.weight": (3, 3), "b.weight": (3, 3), "a.bias": (3,), "b.bias": (3,),
              "shift": (3,)}
    arrays = {k: rand(shapes[k], i + 10) for i, k in enumerate(keys)}
    new = {k: ember.tensor(a, requires_grad=True) for k, a in arrays.items()}
    new_t = {k: torch.tensor(a, requires_grad=True) for k, a in arrays.items()}
    x, xt = both(rand((2, 3), 1))
    y = ember.func.functional_call(ours, new, (x,), {"scale": 2.0}, tie_weights=tie)
    yt = torch.func.functional_call(ref, new_t, (xt,), {"scale": 2.0}, tie_weights=tie)
    close(y, yt)
    up = rand((2, 3), 2)
    grads = ember.autograd.grad(y, list(new.values()), ember.tensor(up))
    grads_t = torch.autograd.grad(yt, list(new_t.values()), torch.tensor(up))
    for g, gt in zip(grads, grads_t):
        close(g, gt)
    # the module's own tensors are back, still tied
    assert isinstance(ours.a.weight, nn.Parameter) and ours.a.weight is ours.b.weight
    close(ours(x), ref(xt))
    assert ours.a.weight.grad is None


def test_functional_call_updates_passed_buffers_in_training():
    ref, ours = torch.nn.BatchNorm1d(3).double(), nn.BatchNorm1d(3).double()
    a = rand((4, 3), 0)
    mean, mean_t = ember.zeros(3, dtype=ember.float64), torch.zeros(3, dtype=torch.float64)
    y = ember.func.functional_call(ours, {"running_mean": mean}, ember.tensor(a))
    yt = torch.func.functional_call(ref, {"running_mean": mean_t}, torch.tensor(a))
    close(y, yt)
    close(mean, mean_t)  # the passed tensor received the update
    assert mean.numpy().all()
    close(ours.running_mean, ref.running_mean)  # the module's own did not
    assert not ours.running_mean.numpy().any()


def test_functional_call_argument_forms():
    ours, ref = Tied.pair()
    x, xt = both(rand((2, 3), 1))
    w = rand((3, 3), 5)
    close(ember.func.functional_call(ours, ({"a.weight": ember.tensor(w)}, {}), x),
          torch.func.functional_call(ref, ({"a.weight": torch.tensor(w)}, {}), xt))
    close(ember.func.functional_call(ours, [{"a.bias": ember.zeros(3, dtype=ember.float64)}],
                                     (x,)),
          torch.func.functional_call(ref, [{"a.bias": torch.zeros(3, dtype=torch.float64)}],
                                     (xt,)))
    # a name the module lacks becomes an attribute for the call only
    seen = []
    ours.register_forward_pre_hook(lambda m, args: seen.append(m.extra))
    ember.func.functional_call(ours, {"extra": ember.ones(1)}, x)
    assert seen[0].item() == 1 and not hasattr(ours, "extra")


def test_functional_call_restores_after_an_error():
    ours, _ = Tied.pair()
    w = ember.zeros(3, 3, dtype=ember.float64)
    with pytest.raises(TypeError):
        ember.func.functional_call(ours, {"a.weight": w}, ember.zeros(2, 3), {"bogus": 1})
    assert isinstance(ours.a.weight, nn.Parameter) and ours.a.weight is ours.b.weight


def test_functional_call_errors_as_torch():
    ours, ref = Tied.pair()
    x, xt = both(rand((2, 3), 1))
    w, w2 = ember.zeros(3, 3, dtype=ember.float64), ember.ones(3, 3, dtype=ember.float64)
    fc = ember.func.functional_call
    with pytest.raises(ValueError, match=re.escape(
            "functional_call got multiple values for keys ['a.weight', 'b.weight'], which are "
            "tied. Consider using tie_weights=False")):
        fc(ours, {"a.weight": w, "b.weight": w2}, x)
    fc(ours, {"a.weight": w, "b.weight": w2}, x, tie_weights=False)  # fine untied
    fc(ours, {"a.weight": w, "b.weight": w}, x)  # the same tensor twice is fine
    with pytest.raises(ValueError, match=re.escape(
            "['a.weight'] appeared in multiple dictionaries; behavior of functional call is "
            "ambiguous")):
        fc(ours, ({"a.weight": w}, {"a.weight": w}), x)
    for kw in [{"a.weight": w}, {"a.weight": w, "zz": w, "a.zz": w}]:
        t_kw = {k: torch.tensor(v.numpy()) for k, v in kw.items()}
        with pytest.raises(RuntimeError) as ref_err:
            torch.func.functional_call(ref, t_kw, xt, strict=True)
        with pytest.raises(RuntimeError) as err:
            fc(ours, kw, x, strict=True)
        assert str(err.value) == str(ref_err.value).replace("torch", "ember")
    with pytest.raises(AttributeError, match="Linear has no attribute `nope`"):
        fc(ours, {"a.nope.weight": w}, x)
    with pytest.raises(TypeError, match="functional_call: expected a Tensor for 'a.weight', "
                                        "got int"):
        fc(ours, {"a.weight": 3}, x)


def test_stateless_functional_call_is_deprecated_alias():
    ours, ref = Tied.pair()
    x, xt = both(rand((2, 3), 1))
    w = rand((3, 3), 5)
    with pytest.warns(FutureWarning, match="`nn.utils.stateless.functional_call` is deprecated"):
        y = nn.utils.stateless.functional_call(ours, {"a.weight": ember.tensor(w)}, (x,))
    with pytest.warns(FutureWarning):
        yt = torch.nn.utils.stateless.functional_call(ref, {"a.weight": torch.tensor(w)}, (xt,))
    close(y, yt)
