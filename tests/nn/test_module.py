"""Module and Parameter machinery, compared with torch.nn where the two are comparable."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from reference import close


def _pair_net(lib):
    """The same small model built from ember.nn or torch.nn."""
    n = lib.nn

    class Block(n.Module):
        def __init__(self):
            super().__init__()
            self.fc = n.Linear(3, 4)
            self.act = n.ReLU()
            self.register_buffer("running", lib.zeros(4))
            self.register_buffer("scratch", lib.ones(2), persistent=False)
            self.scale = n.Parameter(lib.ones(1))

        def forward(self, x):
            return self.act(self.fc(x)) * self.scale + self.running

    class Net(n.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = n.Sequential(n.Linear(4, 2), n.Tanh())
            self.empty = None

        def forward(self, x):
            return self.head(self.block(x))

    return Net()


def _copy_weights(ours, theirs):
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})


# ---- Parameter ------------------------------------------------------------------
def test_parameter_basics():
    t = ember.randn(2, 3)
    p = Parameter(t)
    assert isinstance(p, ember.Tensor) and p.requires_grad and p.is_leaf
    assert p._array is t._array  # shares storage
    assert not Parameter(t, requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(") and "requires_grad=True" in repr(p)
    assert Parameter().shape == (0,)


def test_parameter_ops_give_plain_tensors_and_grads_accumulate():
    p = Parameter(ember.tensor([1.0, 2.0]))
    y = p * 3
    assert type(y) is ember.Tensor and type(p + p) is ember.Tensor
    y.sum().backward()
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [5.0, 7.0])
    assert type(p.grad) is ember.Tensor


def test_parameter_deepcopy_and_pickle():
    p = Parameter(ember.randn(3))
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is Parameter and q.requires_grad
        np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy())
        assert q._array is not p._array


def test_parameter_rejects_bad_data():
    with pytest.raises(TypeError, match="Parameter"):
        Parameter(np.ones(3))
    with pytest.raises(RuntimeError, match="floating point"):
        Parameter(ember.ones(3, dtype=ember.int64))


# ---- registration ---------------------------------------------------------------
def test_names_and_orders_match_torch():
    ours, theirs = _pair_net(ember), _pair_net(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, v), (_, tv) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert tuple(v.shape) == tuple(tv.shape), k
    assert list(ours.state_dict()._metadata) == list(theirs.state_dict()._metadata)
    assert [n for n, _ in ours.named_parameters(prefix="m", recurse=False)] == []
    assert [n for n, _ in ours.block.named_parameters(prefix="b", recurse=False)] == ["b.scale"]


def test_forward_and_grads_match_torch():
    ours, theirs = _pair_net(ember).double(), _pair_net(torch).double()
    _copy_weights(ours, theirs)
    x = np.random.default_rng(0).normal(size=(5, 3))
    y, ty = ours(ember.tensor(x)), theirs(torch.tensor(x))
    close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    for (n, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, tp.grad, what=n)


def test_repr_matches_torch():
    ours, theirs = _pair_net(ember), _pair_net(torch)
    assert repr(ours) == repr(theirs).replace("torch.", "ember.")


def test_setattr_semantics():
    m = Module()
    m.w = Parameter(ember.ones(2))
    assert "w" in m._parameters and "w" not in m.__dict__
    m.w = None  # keeps the slot
    assert "w" in m._parameters and m.w is None and list(m.parameters()) == []
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = ember.ones(2)
    m.child = nn.Linear(2, 2)
    assert m.child is m._modules["child"]
    with pytest.raises(TypeError, match="child module 'child'"):
        m.child = 3
    m.register_buffer("buf", ember.zeros(2))
    m.buf = ember.ones(2)  # a Tensor assigned to a buffer name stays a buffer
    assert m._buffers["buf"] is m.buf
    with pytest.raises(TypeError, match="buffer 'buf'"):
        m.buf = 3
    m.plain = 5
    assert m.__dict__["plain"] == 5
    m.plain = Parameter(ember.ones(1))  # a plain attribute turned into a parameter
    assert "plain" not in m.__dict__ and "plain" in m._parameters
    del m.plain
    assert "plain" not in m._parameters
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope
    assert {"w", "child", "buf"} <= set(dir(m))


def test_registration_errors():
    class Early(Module):
        def __init__(self):
            self.w = Parameter(ember.ones(1))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    m = Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", ember.ones(1))
    with pytest.raises(KeyError, match="empty string"):
        m.register_parameter("", None)
    m.x = 1
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("x", ember.ones(1))
    with pytest.raises(TypeError, match="ember.nn.Parameter or None"):
        m.register_parameter("p", ember.ones(1))
    with pytest.raises(ValueError, match="non-leaf"):
        m.register_parameter("q", _nonleaf_parameter())
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("z", 3)


def _nonleaf_parameter():
    """A Parameter made by an op (possible in PyTorch through subclass tricks)."""
    from ember.tensor import _init
    out = Parameter(ember.ones(1)) * 2
    q = Parameter.__new__(Parameter)
    _init(q, out._array, True, out.grad_fn, 0)
    return q


def test_tied_parameters_counted_once():
    class Tied(Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 3)
            self.b = nn.Linear(3, 3)
            self.b.weight = self.a.weight

    m = Tied()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["a.weight", "a.bias", "b.bias"]
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4
    assert list(m.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    m2 = copy.deepcopy(m)
    assert m2.a.weight is m2.b.weight and m2.a.weight is not m.a.weight


def test_shared_submodule_visited_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    tseq = torch.nn.Sequential(*[torch.nn.Linear(2, 2)] * 2)
    assert [n for n, _ in seq.named_modules()] == [n for n, _ in tseq.named_modules()]
    assert ([n for n, _ in seq.named_modules(remove_duplicate=False)]
            == [n for n, _ in tseq.named_modules(remove_duplicate=False)])


def test_get_submodule_parameter_buffer():
    m = _pair_net(ember)
    assert m.get_submodule("block.fc") is m.block.fc
    assert m.get_submodule("") is m
    assert m.get_parameter("block.fc.weight") is m.block.fc.weight
    assert m.get_buffer("block.running") is m.block.running
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        m.get_submodule("block.nope")
    with pytest.raises(AttributeError, match="is not an nn.Module"):
        m.get_submodule("block.scale")
    with pytest.raises(AttributeError, match="is not an nn.Parameter"):
        m.get_parameter("block.running")


def test_apply_train_eval_propagate():
    m = _pair_net(ember)
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    tseen = []
    _pair_net(torch).apply(lambda mod: tseen.append(type(mod).__name__))
    assert seen == tseen
    assert m.eval() is m and not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    m.block.train(False)
    assert m.training and not m.block.fc.training
    with pytest.raises(ValueError, match="boolean"):
        m.train("yes")


def test_to_dtype_keeps_parameter_identity():
    m = _pair_net(ember)
    m.register_buffer("steps", ember.tensor(3))  # int64: not cast
    w = m.block.fc.weight
    m(ember.randn(2, 3)).sum().backward()
    assert m.to(ember.float64) is m
    assert m.block.fc.weight is w and type(w) is Parameter and w.dtype == ember.float64
    assert w.grad.dtype == ember.float64
    assert m.block.running.dtype == ember.float64 and m.steps.dtype == ember.int64
    m.half()
    assert w.dtype == ember.float16
    m.float()
    assert w.dtype == ember.float32
    m.to(ember.zeros(1, dtype=ember.float64))
    assert w.dtype == ember.float64
    m.bfloat16()
    assert w.dtype == ember.bfloat16
    assert m.cpu() is m and m.to("cpu") is m
    with pytest.raises(TypeError, match="floating point"):
        m.to(ember.int32)


def test_zero_grad_and_requires_grad():
    m = nn.Linear(2, 2)
    m(ember.randn(3, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    assert m.requires_grad_(False) is m and not any(p.requires_grad for p in m.parameters())


# ---- state_dict -------------------------------------------------------------------------
def test_state_dict_shares_storage_and_keep_vars():
    m = nn.Linear(2, 3)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad and type(sd["weight"]) is ember.Tensor
    sd["weight"]._array[0, 0] = 42.0  # detached but shares storage, as PyTorch
    assert float(m.weight[0, 0]) == 42.0
    assert m.state_dict(keep_vars=True)["weight"] is m.weight
    assert list(m.state_dict(prefix="enc.")) == ["enc.weight", "enc.bias"]


def test_load_state_dict_round_trip_and_result():
    a, b = _pair_net(ember), _pair_net(ember)
    res = b.load_state_dict(a.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(v.numpy(), w.numpy(), err_msg=k)


def test_load_state_dict_errors_match_torch():
    ours, theirs = nn.Linear(3, 4), torch.nn.Linear(3, 4)
    bad = OrderedDict(weight=np.zeros((5, 3)), extra=np.zeros(1))
    with pytest.raises(RuntimeError) as ours_err:
        ours.load_state_dict({k: ember.tensor(v) for k, v in bad.items()})
    with pytest.raises(RuntimeError) as torch_err:
        theirs.load_state_dict({k: torch.tensor(v) for k, v in bad.items()})
    assert str(ours_err.value) == str(torch_err.value).replace("torch.", "ember.")
    assert str(ours_err.value).startswith(
        "Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: \"bias\". ")


def test_load_state_dict_non_strict_and_assign():
    m = nn.Linear(2, 2)
    res = m.load_state_dict({"weight": ember.zeros(2, 2), "junk": ember.ones(1)}, strict=False)
    tres = torch.nn.Linear(2, 2).load_state_dict({"weight": torch.zeros(2, 2),
                                                  "junk": torch.ones(1)}, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["junk"]
    assert repr(res) == repr(tres)
    assert float(m.weight.abs().sum()) == 0
    w = m.weight
    new = ember.ones(2, 2)
    m.load_state_dict({"weight": new, "bias": ember.zeros(2)}, assign=True)
    assert m.weight is not w and type(m.weight) is Parameter and m.weight.requires_grad
    assert m.weight._array is new._array
    with pytest.raises(TypeError, match="dict-like"):
        m.load_state_dict([1, 2])


def test_load_from_state_dict_override_and_extra_state():
    class Versioned(Module):
        _version = 2

        def __init__(self):
            super().__init__()
            self.register_buffer("count", ember.tensor(0))
            self.note = "x"

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
            if local_metadata.get("version", 1) < 2:  # old checkpoints lack the counter
                state_dict.setdefault(prefix + "count", ember.tensor(7))
            super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)

        def get_extra_state(self):
            return {"note": self.note}

        def set_extra_state(self, state):
            self.note = state["note"]

    m = Versioned()
    sd = m.state_dict()
    assert list(sd) == ["count", "_extra_state"] and sd._metadata[""]["version"] == 2
    m2 = Versioned()
    m2.note = "y"
    m2.load_state_dict(sd)
    assert m2.note == "x"
    old = OrderedDict(_extra_state={"note": "z"})
    old._metadata = {"": {"version": 1}}
    m2.load_state_dict(old)
    assert int(m2.count) == 7 and m2.note == "z"


def test_state_dict_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_state_dict_pre_hook(lambda mod, prefix, keep: calls.append("pre"))
    h2 = m.register_load_state_dict_post_hook(lambda mod, keys: calls.append(tuple(keys)))
    m.load_state_dict(m.state_dict())
    assert calls == ["pre", ([], [])]
    h1.remove()
    h2.remove()
    m.load_state_dict(m.state_dict())
    assert len(calls) == 2


# ---- hooks ------------------------------------------------------------------------------
def test_forward_hooks_order_and_results_match_torch():
    def run(lib):
        log = []
        m = lib.nn.Linear(2, 2)
        h1 = m.register_forward_pre_hook(lambda mod, args: log.append("pre") or (args[0] * 0,))
        h2 = m.register_forward_hook(lambda mod, args, out: log.append("post") or out + 1)
        h3 = m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("kw", kwargs)),
                                     with_kwargs=True, prepend=True)
        out = m(lib.ones(1, 2))
        expected_bias = m.bias.detach().numpy() + 1
        for h in (h1, h2, h3):
            h.remove()
        m(lib.ones(1, 2))  # removed: no more calls
        return log, out.detach().numpy(), expected_bias

    (log, out, exp), (tlog, tout, texp) = run(ember), run(torch)
    assert log == tlog == ["pre", ("kw", {}), "post"]
    np.testing.assert_allclose(out, exp[None])
    np.testing.assert_allclose(tout, texp[None])


def test_forward_pre_hook_with_kwargs_and_context_manager():
    class Add(Module):
        def forward(self, x, *, y=0):
            return x + y

    m = Add()
    with m.register_forward_pre_hook(lambda mod, a, kw: (a, {"y": 10}), with_kwargs=True):
        assert float(m(ember.tensor(1.0))) == 11
    assert float(m(ember.tensor(1.0))) == 1
    m.register_forward_pre_hook(lambda mod, a, kw: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        m(ember.tensor(1.0))


def test_always_call_hook_runs_on_error():
    class Boom(Module):
        def forward(self, x):
            raise ValueError("boom")

    m, seen = Boom(), []
    m.register_forward_hook(lambda mod, a, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(1)
    assert seen == [None]


def test_full_backward_hook_matches_torch():
    def run(lib):
        seen = []

        class Mul(lib.nn.Module):
            def forward(self, x, y, k):
                return x * y * k

        m = Mul()

        def hook(mod, gin, gout):
            seen.append(([None if g is None else g.detach().numpy().copy() for g in gin],
                         [g.detach().numpy().copy() for g in gout]))
            return (gin[0] * 2, gin[1], None)

        m.register_full_backward_hook(hook)
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.tensor([3.0, 4.0])
        (m(x, y, 5.0) * 3).sum().backward()
        return seen, x.grad.numpy()

    (seen, gx), (tseen, tgx) = run(ember), run(torch)
    np.testing.assert_allclose(gx, tgx)
    assert len(seen) == len(tseen) == 1
    (gin, gout), (tgin, tgout) = seen[0], tseen[0]
    assert [g is None for g in gin] == [g is None for g in tgin]
    np.testing.assert_allclose(gin[0], tgin[0])
    np.testing.assert_allclose(gout[0], tgout[0])


def test_full_backward_pre_hook_matches_torch():
    def run(lib, with_post=True, input_grad=True):
        events = []

        class Mul(lib.nn.Module):
            def forward(self, x, y):
                return x * y, x + y

        m = Mul()
        m.register_full_backward_pre_hook(
            lambda mod, gout: events.append(("pre", [g.tolist() for g in gout]))
            or (gout[0] * 2, gout[1] + 1))
        if with_post:
            m.register_full_backward_hook(lambda mod, gin, gout: events.append(
                ("post", [None if g is None else g.tolist() for g in gin],
                 [g.tolist() for g in gout])))
        x = lib.tensor([1.0, 2.0], requires_grad=input_grad)
        y = lib.tensor([3.0, 4.0], requires_grad=True)
        a, b = m(x, y)
        (a * 3 + b).sum().backward()
        return events, [None if t.grad is None else t.grad.tolist() for t in (x, y)]

    assert run(ember) == run(torch)
    assert run(ember, with_post=False) == run(torch, with_post=False)


def test_full_backward_pre_hook_errors_and_removal():
    m = ember.nn.Linear(2, 2)
    handle = m.register_full_backward_pre_hook(lambda mod, gout: (gout[0], gout[0]))
    x = ember.ones(1, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of "
                                           "grad_output, got 2, but expected 1"):
        m(x).sum().backward()
    handle.remove()
    m.register_full_backward_pre_hook(lambda mod, gout: gout[0])
    with pytest.raises(RuntimeError, match="must return None or a tuple of grad_output, got "
                                           "Tensor"):
        m(x).sum().backward()


# ---- copying ------------------------------------------------------------------------------
def test_deepcopy_and_pickle_module():
    m = _pair_net(ember)
    m.register_forward_hook(lambda *a: None)
    for m2 in (copy.deepcopy(m), pickle.loads(pickle.dumps(nn.Sequential(nn.Linear(2, 2))))):
        assert isinstance(m2, Module)
        for p in m2.parameters():
            assert type(p) is Parameter and p.requires_grad
    m2 = copy.deepcopy(m)
    assert m2.block.fc.weight is not m.block.fc.weight
    np.testing.assert_array_equal(m2.block.fc.weight.detach().numpy(),
                                  m.block.fc.weight.detach().numpy())
    m2.block.fc.weight._array[...] = 0
    assert float(m.block.fc.weight.abs().sum()) > 0


def test_setstate_fills_missing_registries():
    m = nn.Linear(2, 2)
    state = dict(m.__dict__)
    del state["_forward_hooks_always_called"], state["_load_state_dict_post_hooks"]
    m2 = Module.__new__(nn.Linear)
    m2.__setstate__(state)
    assert m2(ember.ones(1, 2)).shape == (1, 2)


def test_parameters_feed_an_optimizer_step():
    m = nn.Linear(3, 1)
    params = list(m.parameters())
    before = [p.detach().numpy().copy() for p in params]
    m(ember.randn(4, 3)).pow(2).mean().backward()
    with ember.no_grad():
        for p in params:
            p -= 0.1 * p.grad
    assert all(not np.allclose(b, p.detach().numpy()) for b, p in zip(before, params))


def test_forward_missing():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        Module()(1)


def test_module_to_memory_format_like_torch():
    layers = []
    for lib in (ember, torch):
        m = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.BatchNorm2d(4), lib.nn.Linear(2, 2))
        weight = m[0].weight
        assert m.to(memory_format=lib.channels_last) is m and m[0].weight is weight
        layers.append([tuple(p.stride()) for p in m.parameters()])
    assert layers[0] == layers[1]
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
            lib.nn.Conv3d(1, 1, 1).to(memory_format=lib.channels_last)


def test_set_submodule_matches_torch():
    import torch
    for lib in (ember, torch):
        nn = lib.nn
        m = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
        m.set_submodule("1.1", nn.Linear(3, 4))
        assert m[1][1].out_features == 4
        m.set_submodule("2", nn.Identity())  # a new name: allowed unless strict
        assert isinstance(m[2], nn.Identity)
        cases = [(("0.weight", nn.Identity()), AttributeError, "`weight` is not an nn.Module"),
                 (("x.y", nn.Identity()), AttributeError, "Sequential has no attribute `x`"),
                 (("1.1", 5), ValueError, "`module` is not an nn.Module, found <class 'int'>"),
                 (("", nn.Identity()), ValueError, "Cannot set the submodule without a target name!")]
        for args, error, message in cases:
            with pytest.raises(error) as info:
                m.set_submodule(*args)
            assert message in str(info.value), (lib.__name__, str(info.value))
        with pytest.raises(AttributeError, match="Sequential has no attribute `9`"):
            m.set_submodule("9", nn.Identity(), strict=True)


def test_to_empty_gives_fresh_storage_keeping_parameters_and_shapes():
    m = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.BatchNorm1d(3))
    params = list(m.parameters())
    arrays = [p._array for p in params]
    assert m.to_empty(device="cpu") is m
    assert list(m.parameters()) == params  # same Parameter objects
    for p, a in zip(params, arrays):
        assert p._array is not a and p.shape == a.shape and p.dtype.np == a.dtype
    assert m[1].running_mean.shape == (3,)
    m2 = ember.nn.Sequential(ember.nn.Linear(2, 3))
    inner = m2[0].weight._array
    m2.to_empty(device="cpu", recurse=False)  # the Sequential itself holds nothing
    assert m2[0].weight._array is inner
