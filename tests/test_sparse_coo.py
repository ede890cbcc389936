"""Sparse COO tensors and sparse embedding gradients, against PyTorch."""

import numpy as np
import pytest
import torch

import ember

# PyTorch warns that it skips its sparse invariant checks.
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")

IDX = [[0, 2, 2, 4]]
VAL = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]


def pair():
    return (ember.sparse_coo_tensor(IDX, VAL, (5, 2)),
            torch.sparse_coo_tensor(torch.tensor(IDX), torch.tensor(VAL), (5, 2)))


def test_queries_coalesce_and_to_dense_match_torch():
    e, t = pair()
    assert (e.is_sparse, e._nnz(), e.sparse_dim(), e.dense_dim(), tuple(e.shape), e.ndim) == \
        (t.is_sparse, t._nnz(), t.sparse_dim(), t.dense_dim(), tuple(t.shape), t.ndim)
    assert str(e.layout) == str(t.layout).replace("torch", "ember")
    assert e.is_coalesced() == t.is_coalesced() is False
    np.testing.assert_array_equal(e.to_dense().numpy(), t.to_dense().numpy())
    ec, tc = e.coalesce(), t.coalesce()
    np.testing.assert_array_equal(ec.indices().numpy(), tc.indices().numpy())
    np.testing.assert_array_equal(ec.values().numpy(), tc.values().numpy())
    assert ec.is_coalesced() and tc.is_coalesced()
    assert repr(e) == repr(t).replace("torch", "ember")
    for lib_tensor in (e, t):
        with pytest.raises(RuntimeError, match="Cannot get indices on an uncoalesced tensor, "
                                               "please call .coalesce\\(\\) first"):
            lib_tensor.indices()


def test_arithmetic_matches_torch():
    e, t = pair()
    for ours, ref in ((e * 2.0, t * 2.0), (e.add(e, alpha=0.5), t.add(t, alpha=0.5)),
                      (-e, -t), (e / 4.0, t / 4.0)):
        np.testing.assert_array_equal(ours.to_dense().numpy(), ref.to_dense().numpy())
    dense_e, dense_t = ember.ones(5, 2), torch.ones(5, 2)
    np.testing.assert_array_equal((dense_e + e).numpy(), (dense_t + t).numpy())
    np.testing.assert_array_equal(dense_e.add(e, alpha=-0.5).numpy(),
                                  dense_t.add(t, alpha=-0.5).numpy())
    dense_e.add_(e)
    dense_t.add_(t)
    np.testing.assert_array_equal(dense_e.numpy(), dense_t.numpy())
    for s, d in ((e, ember.ones(5, 2)), (t, torch.ones(5, 2))):
        with pytest.raises(RuntimeError, match="add\\(sparse, dense\\) is not supported. Use "
                                               "add\\(dense, sparse\\) instead."):
            s.add(d)
    z = e.clone().zero_()
    assert z._nnz() == 0 and not z.to_dense().numpy().any()


def test_factory_checks_its_arguments():
    with pytest.raises(RuntimeError, match="got 2 indices but 3 values"):
        ember.sparse_coo_tensor([[0, 1]], [[1.0], [2.0], [3.0]], (3, 1))
    with pytest.raises(RuntimeError, match="indices out of bounds for size \\[2, 1\\]"):
        ember.sparse_coo_tensor([[0, 2]], [[1.0], [2.0]], (2, 1))
    inferred = ember.sparse_coo_tensor([[0, 3]], [[1.0], [2.0]])
    assert tuple(inferred.shape) == (4, 1) and inferred.dtype == ember.float32


def test_sparse_embedding_refuses_scale_grad_by_freq_like_torch():
    for lib in (ember, torch):
        w = lib.ones(5, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="scale_grad_by_freq not supported with sparse "
                                               "gradients"):
            lib.nn.functional.embedding(lib.tensor([1, 1]), w, sparse=True,
                                        scale_grad_by_freq=True).sum().backward()


@pytest.mark.parametrize("kwargs", [{}, dict(padding_idx=4), dict(padding_idx=-1)])
def test_sparse_embedding_gradient_matches_torch(kwargs):
    idx = np.array([[0, 2, 2], [4, 2, 1]])
    w = np.random.default_rng(0).standard_normal((5, 3))
    grads = {}
    for lib in (ember, torch):
        weight = lib.tensor(w, requires_grad=True)
        out = lib.nn.functional.embedding(lib.tensor(idx), weight, sparse=True, **kwargs)
        (out * lib.arange(3.0, dtype=lib.float64)).sum().backward()
        g = weight.grad
        assert g.is_sparse
        grads[lib] = (g.to_dense().numpy(), g.coalesce().indices().numpy(), g._nnz())
    np.testing.assert_allclose(grads[ember][0], grads[torch][0], rtol=1e-12)
    np.testing.assert_array_equal(grads[ember][1], grads[torch][1])
    assert grads[ember][2] == grads[torch][2]


def test_sparse_gradients_accumulate_in_place_and_reset_like_torch():
    for lib in (ember, torch):
        e = lib.nn.Embedding(5, 3, sparse=True)
        e(lib.tensor([0, 2])).sum().backward()
        first = e.weight.grad
        e(lib.tensor([2, 1])).sum().backward()
        assert e.weight.grad is first  # accumulated into the same tensor
        dense = e.weight.grad.to_dense().numpy()
        np.testing.assert_array_equal(dense[:, 0], [1.0, 1.0, 2.0, 0.0, 0.0])
        opt = lib.optim.SGD(e.parameters(), lr=0.1)
        opt.zero_grad(set_to_none=False)
        assert not e.weight.grad.to_dense().numpy().any()


def test_dense_gradient_where_sparse_cannot_flow():
    # A weight computed from another tensor, and create_graph: the gradient is dense.
    base = ember.randn(5, 3, requires_grad=True)
    ember.nn.functional.embedding(ember.tensor([1, 1]), base * 2.0, sparse=True).sum().backward()
    assert not base.grad.is_sparse
    np.testing.assert_array_equal(base.grad.numpy()[1], [4.0, 4.0, 4.0])
    w = ember.randn(5, 3, requires_grad=True)
    out = ember.nn.functional.embedding(ember.tensor([3]), w, sparse=True)
    g, = ember.autograd.grad((out ** 2).sum(), w, create_graph=True)
    assert not g.is_sparse and g.requires_grad



def test_clipping_sparse_gradients_is_refused_clearly():
    e = ember.nn.Embedding(5, 3, sparse=True)
    e(ember.tensor([0, 2])).sum().backward()
    for call, name in ((lambda: ember.nn.utils.clip_grad_norm_(e.parameters(), 1.0),
                        "clip_grad_norm_"),
                       (lambda: ember.nn.utils.clip_grad_value_(e.parameters(), 0.1),
                        "clip_grad_value_"),
                       (lambda: ember.nn.utils.get_total_norm([e.weight.grad]),
                        "get_total_norm")):
        with pytest.raises(NotImplementedError, match=f"{name}: sparse gradients are not "
                                                      "supported"):
            call()


@pytest.mark.parametrize("mode,kwargs", [("sum", {}), ("mean", {}), ("sum", dict(padding_idx=4)),
                                         ("mean", dict(padding_idx=0))])
def test_embedding_bag_sparse_gradient_matches_torch(mode, kwargs):
    idx = np.array([[0, 2, 4], [2, 1, 1]])
    w = np.random.default_rng(1).standard_normal((5, 3))
    grads = {}
    for lib in (ember, torch):
        bag = lib.nn.EmbeddingBag(5, 3, mode=mode, sparse=True, **kwargs).double()
        with lib.no_grad():
            bag.weight.copy_(lib.tensor(w))
        (bag(lib.tensor(idx)) * lib.tensor([1.0, -2.0], dtype=lib.float64)[:, None]).sum() \
            .backward()
        g = bag.weight.grad
        assert g.is_sparse
        grads[lib] = (g.to_dense().numpy(), g.coalesce().indices().numpy())
    np.testing.assert_allclose(grads[ember][0], grads[torch][0], rtol=1e-12)
    np.testing.assert_array_equal(grads[ember][1], grads[torch][1])


def test_embedding_bag_max_mode_refuses_sparse_like_torch():
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="max mode does not support sparse weights"):
            lib.nn.EmbeddingBag(5, 3, mode="max", sparse=True)(lib.tensor([[0, 1]]))


def test_in_place_arithmetic_copies_and_the_typed_storage_view():
    e, t = pair()
    for ours, ref in ((e.clone().mul_(3.0), t.clone().mul_(3.0)),
                      (e.clone().div_(2.0), t.clone().div_(2.0)),
                      (e.clone().add_(e, alpha=2.0), t.clone().add_(t, alpha=2.0))):
        np.testing.assert_array_equal(ours.to_dense().numpy(), ref.to_dense().numpy())
    assert e.detach() is e and e.requires_grad_(False) is e
    c = e.clone()
    c.mul_(0.0)
    assert e.to_dense().numpy().any()  # the clone has its own values
    with pytest.warns(UserWarning):
        typed = ember.ones(2).storage()
    assert typed.untyped().nbytes() == 8
