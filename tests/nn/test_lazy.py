"""Lazy layers: shapes inferred at the first forward, in-place materialisation (an
optimizer built before keeps working), the class change, reprs and state_dicts as
PyTorch's."""

import numpy as np
import pytest
import torch

import ember
from reference import close, rand

CASES = [
    ("LazyLinear", (3,), {}, (4, 5), "Linear"),
    ("LazyLinear", (3,), {"bias": False}, (2, 4, 5), "Linear"),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 6, 7), "Conv1d"),
    ("LazyConv2d", (8, 3), {"padding": 1, "groups": 2}, (2, 4, 5, 5), "Conv2d"),
    ("LazyConv3d", (2, 2), {}, (1, 3, 4, 4, 4), "Conv3d"),
    ("LazyConvTranspose1d", (4, 3, 2), {}, (2, 6, 5), "ConvTranspose1d"),
    ("LazyConvTranspose2d", (4, 3), {"stride": 2, "groups": 2}, (1, 6, 3, 3), "ConvTranspose2d"),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 3, 2, 2, 2), "ConvTranspose3d"),
    ("LazyBatchNorm1d", (), {}, (4, 3), "BatchNorm1d"),
    ("LazyBatchNorm2d", (), {"affine": False}, (2, 3, 4, 4), "BatchNorm2d"),
    ("LazyBatchNorm3d", (), {}, (2, 3, 2, 2, 2), "BatchNorm3d"),
    ("LazyInstanceNorm1d", (), {"affine": True}, (2, 3, 5), "InstanceNorm1d"),
    ("LazyInstanceNorm2d", (), {"track_running_stats": True}, (2, 3, 4, 4), "InstanceNorm2d"),
    ("LazyInstanceNorm3d", (), {}, (2, 3, 2, 2, 2), "InstanceNorm3d"),
]


@pytest.mark.parametrize("name,args,kwargs,shape,becomes", CASES, ids=[c[0] for c in CASES])
def test_lazy_layer_matches_torch(name, args, kwargs, shape, becomes):
    ours = getattr(ember.nn, name)(*args, **kwargs).double()
    ref = getattr(torch.nn, name)(*args, **kwargs).double()
    assert repr(ours) == repr(ref)
    params = list(ours.parameters())
    x = rand(shape, 0)
    out, expected = ours(ember.tensor(x)), ref(torch.tensor(x))
    assert type(ours).__name__ == becomes and type(ref).__name__ == becomes
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert repr(ours) == repr(ref)
    for p, q in zip(ours.parameters(), params):
        assert p is q  # the same objects, now with shapes
    for (k, a), b in zip(ours.state_dict().items(), ref.state_dict().values()):
        assert tuple(a.shape) == tuple(b.shape), k
    # Same parameters as torch's: same output.
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    close(ours(ember.tensor(x)), ref(torch.tensor(x)))
    assert out.shape == tuple(expected.shape)


def test_optimizer_built_before_the_first_forward_updates_the_weights():
    model = ember.nn.Sequential(ember.nn.LazyLinear(8), ember.nn.ReLU(), ember.nn.LazyLinear(2))
    opt = ember.optim.Adam(model.parameters(), lr=0.1)
    x = ember.tensor(rand((16, 5), 0), dtype=ember.float32)
    model(x)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    assert [tuple(b.shape) for b in before] == [(8, 5), (8,), (2, 8), (2,)]
    for _ in range(3):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
    assert all((p.detach().numpy() != b).any() for p, b in zip(model.parameters(), before))
    bound = 1 / np.sqrt(5)  # Linear's default initialisation from the inferred in_features
    assert np.abs(before[0]).max() <= bound


def test_lazy_instance_norm_reads_unbatched_channels():
    # (PyTorch's reads dimension 1 of an unbatched (C, L) input as the channels.)
    norm = ember.nn.LazyInstanceNorm1d()
    assert norm(ember.tensor(rand((3, 5), 0))).shape == (3, 5) and norm.num_features == 3


def test_lazy_errors_and_state():
    conv = ember.nn.LazyConv2d(4, 3, groups=2)
    assert conv.has_uninitialized_params()
    with pytest.raises(ValueError, match="must be divisible by groups"):
        conv(ember.zeros(1, 3, 5, 5))
    p = ember.nn.UninitializedParameter()
    assert repr(p) == "<UninitializedParameter>"
    p.materialize((2, 3))
    assert type(p) is ember.nn.Parameter and p.shape == (2, 3) and p.requires_grad


@pytest.mark.parametrize("lazy,eager", [
    (lambda: ember.nn.LazyLinear(4), lambda: ember.nn.Linear(5, 4)),
    (lambda: ember.nn.LazyConv2d(6, 3, groups=2), lambda: ember.nn.Conv2d(4, 6, 3, groups=2)),
    (lambda: ember.nn.LazyConvTranspose2d(6, 3), lambda: ember.nn.ConvTranspose2d(4, 6, 3)),
    (lambda: ember.nn.LazyBatchNorm1d(), lambda: ember.nn.BatchNorm1d(7)),
])
def test_loading_a_checkpoint_before_the_first_forward_shapes_the_layer(lazy, eager):
    ours, source = lazy(), eager()
    ours.load_state_dict(source.state_dict())
    assert not ours.has_uninitialized_params()
    assert repr(ours).split("(", 1)[1] == repr(source).split("(", 1)[1]
    shape = {"Linear": (2, 5), "Conv2d": (1, 4, 5, 5), "ConvTranspose2d": (1, 4, 3, 3),
             "BatchNorm1d": (3, 7)}[type(source).__name__]
    x = ember.tensor(rand(shape, 0), dtype=ember.float32)
    source.eval(), ours.eval()
    close(ours(x), source(x))
    assert type(ours) is type(source)


def test_lazy_layer_takes_its_input_by_keyword():
    assert ember.nn.LazyLinear(4)(input=ember.zeros(2, 3)).shape == (2, 4)


def test_uninitialized_buffer_materializes_in_place_like_torch():
    b = ember.nn.UninitializedBuffer()
    tb = torch.nn.UninitializedBuffer()
    assert repr(b) == repr(tb) == "<UninitializedBuffer>"
    assert b.requires_grad is tb.requires_grad is False and b.persistent is True
    m = ember.nn.Module()
    m.running = ember.nn.UninitializedBuffer(dtype=ember.float64)
    m.register_buffer("scratch", ember.nn.UninitializedBuffer(), persistent=False)
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    m.running.materialize((2, 3))
    assert type(m.running) is ember.nn.Buffer and m.running.shape == (2, 3)
    assert m.running.dtype == ember.float64 and list(m.state_dict()) == ["running"]
    m.running.zero_()
    assert m.state_dict()["running"].tolist() == [[0.0] * 3] * 2
