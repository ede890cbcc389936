"""``Tensor.data``: PyTorch's detached Tensor view of a tensor's storage.

The raw NumPy/CuPy array is ``t._array``; ``t.data`` is a new Tensor sharing it,
with requires_grad False and its own version counter, and ``t.data = other``
swaps the storage. Each behaviour is compared with torch where it is observable.
"""

import numpy as np
import pytest
import torch

import ember
from ember import nn


def pair(values):
    """The same float64 leaf requiring grad, in Ember and in torch."""
    a = np.asarray(values, dtype=np.float64)
    return (ember.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True))


# ---- what .data is ------------------------------------------------------------------

def test_data_is_a_detached_tensor_sharing_memory():
    p, tp = pair([1.0, 2.0, 3.0])
    d, td = p.data, tp.data
    assert type(d) is ember.Tensor and isinstance(td, torch.Tensor)
    assert d.requires_grad is td.requires_grad is False
    assert d.grad_fn is None and td.grad_fn is None
    assert d.is_leaf and d.grad is None
    assert d is not p and d._array is p._array
    assert d.shape == p.shape == (3,) and d.dtype == ember.float64
    d[0] = 10.0  # a write through .data is seen by p
    td[0] = 10.0
    np.testing.assert_array_equal(p.detach().numpy(), tp.detach().numpy())


def test_data_of_a_parameter_is_a_plain_tensor():
    w = nn.Parameter(ember.ones(2, 3))
    assert type(w.data) is ember.Tensor
    assert type(torch.nn.Parameter(torch.ones(2, 3)).data) is torch.Tensor


def test_data_numpy_shares_memory_without_detach():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        p.numpy()  # requires grad: torch refuses too
    a = p.data.numpy()
    assert isinstance(a, np.ndarray) and np.shares_memory(a, p._array)
    np.testing.assert_array_equal(a, torch.tensor([1.0, 2.0], requires_grad=True).data.numpy())


def test_data_clone_is_a_copy():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    c = p.data.clone()
    c.fill_(0.0)
    np.testing.assert_array_equal(p.detach().numpy(), [1.0, 2.0])
    assert not c.requires_grad


def test_data_of_a_view_shares_the_view_region():
    x = ember.zeros(2, 3)
    x[1].data.fill_(5.0)
    tx = torch.zeros(2, 3)
    tx[1].data.fill_(5.0)
    np.testing.assert_array_equal(x.numpy(), tx.numpy())


# ---- in-place changes through .data --------------------------------------------------

@pytest.mark.parametrize("name, change", [
    ("fill_", lambda d: d.fill_(1.5)),
    ("zero_", lambda d: d.zero_()),
    ("copy_", lambda d: d.copy_(d.new_tensor([7.0, 8.0, 9.0]) if isinstance(d, ember.Tensor)
                                 else torch.tensor([7.0, 8.0, 9.0], dtype=d.dtype))),
    ("add_ alpha", lambda d: d.add_(d.new_tensor([1.0, 1.0, 2.0]), alpha=-0.5)),
    ("mul_", lambda d: d.mul_(3.0)),
    ("sub_", lambda d: d.sub_(0.25)),
    ("clamp_", lambda d: d.clamp_(min=1.5)),
])
def test_inplace_through_data_changes_the_leaf_like_torch(name, change):
    p, tp = pair([1.0, 2.0, 3.0])
    change(p.data)  # a leaf requiring grad: in place on it raises, through .data it does not
    change(tp.data)
    np.testing.assert_array_equal(p.detach().numpy(), tp.detach().numpy(), err_msg=name)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert p._version == 0  # the version counter is not shared with .data


def test_normal_through_data_changes_the_leaf_in_place():
    ember.manual_seed(0)
    p = ember.zeros(4000, requires_grad=True)
    before = p._array
    p.data.normal_(0.0, 0.02)
    assert p._array is before and p.requires_grad and p.is_leaf
    values = p.detach().numpy()
    assert abs(values.mean()) < 0.002 and 0.018 < values.std() < 0.022
    p.data.uniform_(-1.0, 1.0)
    assert -1.0 <= p.detach().numpy().min() and p.detach().numpy().max() <= 1.0


def test_inplace_on_the_leaf_itself_still_raises():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        p.fill_(0.0)


def test_manual_sgd_step_through_data_matches_torch():
    w0 = np.array([[0.5, -1.0], [2.0, 0.25]])
    x0 = np.array([[1.0, 2.0], [3.0, -1.0]])
    p, tp = pair(w0)
    for _ in range(3):
        for w, x, lib in ((p, ember.tensor(x0), ember), (tp, torch.tensor(x0), torch)):
            loss = lib.tanh(x @ w).pow(2).sum()
            w.grad = None
            loss.backward()
            w.data.add_(w.grad, alpha=-0.1)  # the classic pre-optimizer PyTorch update
    np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-12)


def test_change_through_data_after_saving_is_not_caught_like_torch():
    # PyTorch: .data does not share the version counter, so the saved p is not
    # "modified" as far as autograd knows; backward uses the new value silently.
    p, tp = pair([1.0, 2.0, 3.0])
    y, ty = (p * p).sum(), (tp * tp).sum()
    p.data.mul_(10.0)
    tp.data.mul_(10.0)
    y.backward()
    ty.backward()
    np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy())
    np.testing.assert_allclose(p.grad.numpy(), [20.0, 40.0, 60.0])


def test_change_through_detach_after_saving_is_caught_like_torch():
    p, tp = pair([1.0, 2.0, 3.0])
    y, ty = (p * p).sum(), (tp * tp).sum()
    p.detach().mul_(10.0)
    tp.detach().mul_(10.0)
    with pytest.raises(RuntimeError, match="modified by an in.?place operation"):
        ty.backward()
    with pytest.raises(RuntimeError, match="modified by an in.?place operation"):
        y.backward()


def test_change_through_data_of_an_op_output_after_saving_is_not_caught():
    x = ember.tensor([0.5, 1.0], requires_grad=True)
    h = x.exp()  # exp saves its output
    out = h.sum()
    h.data.zero_()
    out.backward()  # torch: no error, gradient from the zeroed output
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


# ---- assigning .data ------------------------------------------------------------------

def test_assign_data_same_shape_keeps_identity_and_grad_flag():
    p = nn.Parameter(ember.ones(2, 3))
    new = ember.zeros(2, 3)
    p.data = new
    assert type(p) is nn.Parameter and p.requires_grad and p.is_leaf
    assert p._array is new._array  # shares the assigned tensor's storage, as torch
    np.testing.assert_array_equal(p.detach().numpy(), np.zeros((2, 3)))


def test_assign_data_of_another_shape_and_dtype_like_torch():
    p, tp = pair([1.0, 2.0])
    p.data = ember.zeros(3, 4)
    tp.data = torch.zeros(3, 4)
    assert p.shape == tuple(tp.shape) == (3, 4)
    assert p.requires_grad and tp.requires_grad
    p.data = ember.ones(2, dtype=ember.float32)
    tp.data = torch.ones(2, dtype=torch.float32)
    assert p.dtype == ember.float32 and tp.dtype == torch.float32
    p.sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [1.0, 1.0])


def test_assign_data_in_a_module_is_used_by_forward():
    m = nn.Linear(3, 2)
    m.weight.data = ember.ones(2, 3)
    m.bias.data = ember.zeros(2)
    out = m(ember.tensor([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(out.detach().numpy(), [[6.0, 6.0]])
    assert [name for name, _ in m.named_parameters()] == ["weight", "bias"]


@pytest.mark.parametrize("value", [np.zeros(3), [0.0, 1.0, 2.0], 1.0, None])
def test_assign_data_non_tensor_raises_type_error(value):
    p = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(TypeError, match=f"Tensor.data.*{type(value).__name__}"):
        p.data = value
    with pytest.raises(TypeError):
        torch.tensor([1.0, 2.0, 3.0]).data = value  # torch refuses too
    np.testing.assert_array_equal(p.detach().numpy(), [1.0, 2.0, 3.0])


# ---- in modules and real-program style ------------------------------------------------

def test_parameter_shares_the_wrapped_tensor():
    t = ember.ones(2, 2)
    p = nn.Parameter(t)
    assert p._array is t._array and p.data._array is t._array
    p.data.fill_(3.0)
    np.testing.assert_array_equal(t.numpy(), np.full((2, 2), 3.0))


def test_module_weight_data_fill_and_copy():
    m = nn.Linear(4, 3)
    m.weight.data.fill_(1.0)
    m.bias.data.copy_(ember.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(m.bias.detach().numpy(), [1.0, 2.0, 3.0])
    out = m(ember.ones(2, 4)).sum()
    out.backward()  # parameters still take part in autograd
    np.testing.assert_array_equal(m.weight.grad.numpy(), np.full((3, 4), 2.0))
    np.testing.assert_array_equal(m.bias.grad.numpy(), [2.0, 2.0, 2.0])


def _gpt2_style(lib):
    """A small model initialised the way Hugging Face's GPT-2 ``_init_weights`` does."""
    lnn = lib.nn

    class Tiny(lnn.Module):
        def __init__(self):
            super().__init__()
            self.wte = lnn.Embedding(10, 8, padding_idx=0)
            self.ln = lnn.LayerNorm(8)
            self.fc = lnn.Linear(8, 8)
            self.head = lnn.Linear(8, 10, bias=False)
            self.apply(self._init_weights)

        def _init_weights(self, module):
            if isinstance(module, lnn.Linear):
                lnn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    module.bias.data.zero_()
            elif isinstance(module, lnn.Embedding):
                module.weight.data.normal_(mean=0.0, std=0.02)
                if module.padding_idx is not None:
                    module.weight.data[module.padding_idx].zero_()
            elif isinstance(module, lnn.LayerNorm):
                module.bias.data.zero_()
                module.weight.data.fill_(1.0)

        def forward(self, idx):
            return self.head(lib.tanh(self.fc(self.ln(self.wte(idx)))))

    return Tiny()


def test_gpt2_style_init_weights_like_torch():
    ember.manual_seed(0)
    torch.manual_seed(0)
    ours, ref = _gpt2_style(ember), _gpt2_style(torch)
    sd_ours, sd_ref = ours.state_dict(), ref.state_dict()
    assert list(sd_ours) == list(sd_ref)
    for name in sd_ref:
        a, b = sd_ours[name].numpy(), sd_ref[name].numpy()
        assert a.shape == b.shape, name
        if name.endswith("bias") and not name.startswith("ln"):
            assert not a.any(), name
    np.testing.assert_array_equal(sd_ours["ln.weight"].numpy(), np.ones(8))
    assert not sd_ours["ln.bias"].numpy().any()
    assert not sd_ours["wte.weight"].numpy()[0].any()  # padding row zeroed through .data
    for name in ("wte.weight", "fc.weight", "head.weight"):
        w = sd_ours[name].numpy()
        w = w[1:] if name == "wte.weight" else w
        assert abs(w.mean()) < 0.01 and 0.01 < w.std() < 0.03, name
    for p in ours.parameters():
        assert type(p) is nn.Parameter and p.requires_grad and p.is_leaf

    # same weights in both: same output and gradients
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in sd_ours.items()})
    idx = [[1, 2, 0, 5], [3, 3, 9, 0]]
    loss = ours(ember.tensor(idx)).pow(2).sum()
    tloss = ref(torch.tensor(idx)).pow(2).sum()
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    for (name, p), tp in zip(ours.named_parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-7,
                                   err_msg=name)
