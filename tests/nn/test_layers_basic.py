"""Linear, Bilinear, shape layers, activation and loss modules against torch.nn (float64)."""

import math

import numpy as np
import pytest
import torch

import ember
from ember import nn
from reference import check, close


def _port(ours, theirs):
    """Copy torch's weights into ours (float64), via load_state_dict."""
    theirs.double()
    ours.double()
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in ours.state_dict().items():
        assert tuple(v.shape) == tuple(theirs.state_dict()[k].shape), k


def _compare(ours, theirs, *arrays):
    """Outputs, input gradients and every parameter gradient equal torch's."""
    xs = [ember.tensor(a, requires_grad=True) for a in arrays]
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, ty = ours(*xs), theirs(*txs)
    close(y, ty)
    g = np.random.default_rng(9).normal(size=ty.shape)
    y.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    for i, (x, tx) in enumerate(zip(xs, txs)):
        close(x.grad, tx.grad, what=f"input {i} grad")
    for (n, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, tp.grad, what=f"{n} grad")


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,)])
def test_linear_matches_torch(bias, shape):
    ours, theirs = nn.Linear(3, 4, bias=bias), torch.nn.Linear(3, 4, bias=bias)
    _port(ours, theirs)
    _compare(ours, theirs, _rand(*shape))
    assert repr(ours) == repr(theirs)


def test_linear_default_init_and_options():
    m = nn.Linear(64, 300)
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= 1 / 8 and np.abs(w).max() > 0.98 / 8
    assert np.abs(m.bias.detach().numpy()).max() <= 1 / 8
    m = nn.Linear(2, 3, dtype=ember.float64)
    assert m.weight.dtype == ember.float64
    assert nn.Linear(2, 3, bias=False).bias is None
    assert "bias" in nn.Linear(2, 3, bias=False)._parameters


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(bias):
    ours, theirs = nn.Bilinear(3, 2, 4, bias=bias), torch.nn.Bilinear(3, 2, 4, bias=bias)
    _port(ours, theirs)
    _compare(ours, theirs, _rand(5, 3), _rand(5, 2, seed=1))
    assert repr(ours) == repr(theirs)
    w = nn.Bilinear(16, 2, 500).weight.detach().numpy()
    assert np.abs(w).max() <= 0.25 and np.abs(w).max() > 0.24


def test_functional_bilinear_second_derivatives():
    check(lambda a, b, w, c: (nn.modules.linear.bilinear if isinstance(a, ember.Tensor)
                              else torch.nn.functional.bilinear)(a, b, w, c),
          _rand(2, 3, 3), _rand(2, 3, 2, seed=1), _rand(4, 3, 2, seed=2), _rand(4, seed=3))


def test_bilinear_errors():
    with pytest.raises(RuntimeError, match="bilinear: expected input1.shape"):
        nn.Bilinear(3, 2, 4)(ember.ones(5, 2), ember.ones(5, 2))
    with pytest.raises(RuntimeError, match="same leading dimensions"):
        nn.Bilinear(3, 2, 4)(ember.ones(5, 3), ember.ones(4, 2))


def test_identity_flatten_unflatten_match_torch():
    x = _rand(2, 3, 4, 5)
    for ours, theirs in [(nn.Identity(54, foo=1), torch.nn.Identity(54, foo=1)),
                         (nn.Flatten(), torch.nn.Flatten()),
                         (nn.Flatten(0, 2), torch.nn.Flatten(0, 2)),
                         (nn.Unflatten(1, (3, 1)), torch.nn.Unflatten(1, (3, 1)))]:
        _compare(ours, theirs, x)
        assert repr(ours) == repr(theirs)


_ACTIVATIONS = [
    ("ReLU", ()), ("ReLU6", ()), ("LeakyReLU", (0.2,)), ("ELU", (0.7,)), ("SELU", ()),
    ("CELU", (1.3,)), ("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()),
    ("Softplus", (2.0, 5.0)), ("Softsign", ()), ("Hardtanh", (-0.5, 1.5)), ("Hardsigmoid", ()),
    ("Hardswish", ()), ("Sigmoid", ()), ("Tanh", ()), ("LogSigmoid", ()), ("GLU", (1,)),
    ("Threshold", (0.1, -3.0)), ("Softmax", (1,)), ("LogSoftmax", (-1,)), ("Softmin", (0,)),
    ("Softshrink", (0.3,)), ("Hardshrink", (0.3,)), ("Tanhshrink", ()), ("Softmax2d", ()),
]


@pytest.mark.parametrize("name,args", _ACTIVATIONS, ids=[f"{n}{a}" for n, a in _ACTIVATIONS])
def test_activation_modules_match_torch(name, args):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    x = _rand(2, 4, 3, 3) * 3
    _compare(ours, theirs, x)


@pytest.mark.parametrize("name", ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "SiLU",
                                  "Mish", "Hardtanh", "Hardsigmoid", "Hardswish"])
def test_inplace_activation_repr_and_values(name):
    ours, theirs = getattr(nn, name)(inplace=True), getattr(torch.nn, name)(inplace=True)
    assert repr(ours) == repr(theirs)
    x = _rand(3, 4)
    a, t = ember.tensor(x.copy()), torch.tensor(x.copy())
    assert ours(a) is a
    theirs(t)
    close(a, t)


@pytest.mark.parametrize("num,init", [(1, 0.25), (4, 0.1)])
def test_prelu_matches_torch(num, init):
    ours, theirs = nn.PReLU(num, init), torch.nn.PReLU(num, init)
    assert np.all(ours.weight.detach().numpy() == np.float32(init))
    _port(ours, theirs)
    _compare(ours, theirs, _rand(3, 4, 2))
    assert repr(ours) == repr(theirs)


def test_rrelu_eval_and_train():
    ours, theirs = nn.RReLU(0.1, 0.3), torch.nn.RReLU(0.1, 0.3)
    assert repr(ours) == repr(theirs)
    _compare(ours.eval(), theirs.eval(), _rand(3, 4))
    y = ours.train()(ember.tensor(-np.ones(1000)))
    assert np.all((y.numpy() <= -0.1) & (y.numpy() >= -0.3))


def _targets():
    r = np.random.default_rng(5)
    return {
        "class": r.integers(0, 4, size=(6,)),
        "prob": r.uniform(0.05, 0.95, size=(6, 4)),
        "real": r.normal(size=(6, 4)),
    }


_LOSSES = [
    ("MSELoss", {}, "real", "real"), ("L1Loss", {"reduction": "sum"}, "real", "real"),
    ("SmoothL1Loss", {"beta": 0.5}, "real", "real"), ("HuberLoss", {"delta": 0.7}, "real", "real"),
    ("CrossEntropyLoss", {"label_smoothing": 0.1}, "real", "class"),
    ("CrossEntropyLoss", {"ignore_index": 2, "reduction": "none"}, "real", "class"),
    ("NLLLoss", {}, "logp", "class"), ("BCELoss", {}, "prob", "prob"),
    ("BCEWithLogitsLoss", {}, "real", "prob"), ("KLDivLoss", {"reduction": "batchmean"}, "logp", "prob"),
    ("KLDivLoss", {"log_target": True, "reduction": "sum"}, "logp", "logp"),
    pytest.param("MSELoss", {"size_average": False}, "real", "real",
                 marks=pytest.mark.filterwarnings("ignore:size_average")),
]


def _loss_input(kind, t):
    if kind == "logp":
        return np.log(t["prob"] / t["prob"].sum(1, keepdims=True))
    return t[kind]


@pytest.mark.parametrize("name,kwargs,inp,tgt", _LOSSES)
def test_loss_modules_match_torch(name, kwargs, inp, tgt):
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs) and ours.reduction == theirs.reduction
    t = _targets()
    x, y = _loss_input(inp, t), _loss_input(tgt, t)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(xe, ember.tensor(y)), theirs(xt, torch.tensor(y))
    close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    close(xe.grad, xt.grad)


def test_weighted_losses_register_buffers_like_torch():
    w, pw = np.array([1.0, 2.0, 0.5, 1.5]), np.array([3.0, 1.0, 1.0, 0.5])
    for name, kwargs in [("CrossEntropyLoss", {"weight": w}), ("NLLLoss", {"weight": w}),
                         ("BCEWithLogitsLoss", {"pos_weight": pw}),
                         ("BCEWithLogitsLoss", {"weight": w, "pos_weight": pw})]:
        ours = getattr(nn, name)(**{k: ember.tensor(v) for k, v in kwargs.items()})
        theirs = getattr(torch.nn, name)(**{k: torch.tensor(v) for k, v in kwargs.items()})
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
        t = _targets()
        x = t["real"]
        y = t["prob"] if name.startswith("BCE") else t["class"]
        close(ours(ember.tensor(x), ember.tensor(y)), theirs(torch.tensor(x), torch.tensor(y)))
    assert nn.BCEWithLogitsLoss(pos_weight=ember.ones(2)).float().pos_weight.dtype == ember.float32


def test_loss_reduction_errors():
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    assert math.isclose(float(nn.Softmax(0)(ember.ones(4)).sum()), 1.0, rel_tol=1e-6)
