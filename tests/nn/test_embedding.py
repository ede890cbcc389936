"""embedding, one_hot, nn.Embedding and the Dropout layers."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
import ember.nn.functional as EF
from hypothesis import given, settings, strategies as st

import ember
from ember.ops.embedding import _add_rows_sorted, embedding, one_hot
from reference import check, close, rand

IDX = np.array([[0, 2, 4, 2], [1, 1, 3, 0]])


def lookup(**kwargs):
    def run(w):
        if isinstance(w, ember.Tensor):
            return embedding(ember.tensor(IDX), w, **kwargs)
        return TF.embedding(torch.tensor(IDX), w, **kwargs)
    return run


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1},
                                    {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_embedding_matches_torch(kwargs):
    check(lookup(**kwargs), rand((5, 3)))


def test_embedding_gradient_is_a_scatter_add_without_padding_row():
    w = ember.tensor(rand((5, 3)), requires_grad=True)
    embedding(ember.tensor(IDX), w, padding_idx=2).sum().backward()
    counts = np.bincount(IDX.ravel(), minlength=5).astype(float)
    counts[2] = 0
    np.testing.assert_array_equal(w.grad.numpy(), np.repeat(counts[:, None], 3, 1))


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 3, "scale_grad_by_freq": True}])
def test_large_batch_gradient_matches_torch(kwargs):
    # 64 x 300 lookups of 40-wide rows: the sorted scatter-add path (>= 16384 values).
    idx = np.random.default_rng(8).integers(0, 50, (64, 300))
    g = rand((64, 300, 40), 9)
    grads = []
    for mod, fn in ((ember, embedding), (torch, TF.embedding)):
        w = mod.tensor(rand((50, 40), 10), requires_grad=True)
        fn(mod.tensor(idx), w, **kwargs).backward(mod.tensor(g))
        grads.append(w.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 300), size=st.integers(1, 3000), width=st.integers(1, 6),
       skew=st.sampled_from([None, 0.01, 0.2, 1.0]), seed=st.integers(0, 2 ** 16))
def test_sorted_scatter_add_equals_add_at(rows, size, width, skew, seed):
    # Uniform, geometric (a few frequent indices) and single-index batches: the
    # per-rank loop, the reduceat over the tails, and both together.
    r = np.random.default_rng(seed)
    idx = r.integers(0, rows, size) if skew is None else \
        np.minimum(r.geometric(skew, size) - 1, rows - 1)
    values = r.standard_normal((size, width))
    out = np.zeros((rows, width))
    _add_rows_sorted(out, idx, values)
    expected = np.zeros((rows, width))
    np.add.at(expected, idx, values)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_embedding_max_norm_renormalises_rows_in_place():
    a = rand((5, 3), high=3)
    ours, ref = ember.tensor(a), torch.tensor(a)
    close(embedding(ember.tensor(IDX), ours, max_norm=1.5, norm_type=1.0),
          TF.embedding(torch.tensor(IDX), ref, max_norm=1.5, norm_type=1.0))
    close(ours, ref)


def test_one_hot_matches_torch():
    t = np.array([[0, 3], [2, 1]])
    close(one_hot(ember.tensor(t)), TF.one_hot(torch.tensor(t)))
    close(one_hot(ember.tensor(t), 6), TF.one_hot(torch.tensor(t), 6))
    assert one_hot(ember.tensor(t)).dtype == ember.int64


def test_errors_name_the_value_and_the_table_size():
    w = ember.zeros(5, 3)
    with pytest.raises(IndexError, match="index 7 is out of range for a table of 5 rows"):
        embedding(ember.tensor([1, 7]), w)
    with pytest.raises(IndexError, match="index -1 is out of range for a table of 5 rows"):
        embedding(ember.tensor([-1]), w)
    with pytest.raises(TypeError, match="integer dtype.*float32"):
        embedding(ember.tensor([1.0]), w)
    with pytest.raises(ValueError, match="padding_idx must be within the 5 rows.*got 5"):
        embedding(ember.tensor([1]), w, padding_idx=5)
    with pytest.raises(RuntimeError, match="smaller than num_classes=3, got 3"):
        one_hot(ember.tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match="non-negative, got -1"):
        one_hot(ember.tensor([-1, 1]))


# --- layers ----------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 1}, {"scale_grad_by_freq": True}])
def test_embedding_layer_matches_torch(kwargs):
    ref = torch.nn.Embedding(5, 3, dtype=torch.float64, **kwargs)
    ours = ember.nn.Embedding(5, 3, dtype=ember.float64, **kwargs)
    assert list(ours.state_dict()) == list(ref.state_dict()) == ["weight"]
    assert repr(ours) == repr(ref)
    ours.load_state_dict({"weight": ember.tensor(ref.weight.detach().numpy())})
    ye, yt = ours(ember.tensor(IDX)), ref(torch.tensor(IDX))
    close(ye, yt)
    up = rand(tuple(yt.shape), 3)
    (ye * ember.tensor(up)).sum().backward()
    (yt * torch.tensor(up)).sum().backward()
    close(ours.weight.grad, ref.weight.grad)


def test_embedding_init_zeroes_padding_row_and_is_standard_normal():
    ember.manual_seed(0)
    w = ember.nn.Embedding(2000, 8, padding_idx=3).weight.detach().numpy()
    assert not np.any(w[3])
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02


def test_from_pretrained_freezes_unless_asked():
    table = ember.tensor(rand((4, 2)))
    frozen = ember.nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    close(frozen(ember.tensor([3, 0])), table.numpy()[[3, 0]])
    trainable = ember.nn.Embedding.from_pretrained(table, freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad and trainable.padding_idx == 0
    assert np.any(trainable.weight.detach().numpy()[0])  # as torch: the given row is kept
    with pytest.raises(ValueError, match="2-dimensional, got shape \\[4\\]"):
        ember.nn.Embedding.from_pretrained(ember.zeros(4))


def test_dropout_layers_train_and_eval():
    ember.manual_seed(0)
    x = ember.ones(200, 8, 10, dtype=ember.float64)
    for layer in (ember.nn.Dropout(0.25), ember.nn.Dropout1d(0.25), ember.nn.Dropout2d(0.25)):
        y = layer(x).numpy()
        assert set(np.unique(y)) == {0.0, 1 / 0.75}
        assert abs((y == 0).mean() - 0.25) < 0.05
        layer.eval()
        assert layer(x) is x
    y = ember.nn.Dropout1d(0.5)(x).numpy()
    assert np.all(y == y[:, :, :1])  # whole channels
    assert repr(ember.nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        ember.nn.Dropout(1.5)
    with pytest.raises(RuntimeError, match="dropout2d: Expected 3D or 4D input.*2D"):
        ember.nn.Dropout2d()(ember.ones(3, 4))


BAG_CASES = [
    dict(mode="mean"),
    dict(mode="sum"),
    dict(mode="max"),
    dict(mode="sum", padding_idx=2),
    dict(mode="mean", padding_idx=2),
    dict(mode="max", padding_idx=0),
]


@pytest.mark.parametrize("kwargs", BAG_CASES)
@pytest.mark.parametrize("layout", ["2d", "offsets", "last_offset"])
def test_embedding_bag_matches_torch(kwargs, layout):
    r = np.random.default_rng(0)
    weight = rand((6, 3), 1)
    if layout == "2d":
        idx, extra = r.integers(0, 6, (4, 5)), {}
    else:
        idx = r.integers(0, 6, 11)
        offsets = np.array([0, 3, 3, 7] + ([11] if layout == "last_offset" else []))  # a bag empty
        extra = {"include_last_offset": layout == "last_offset"}

    def run(w, *rest):
        lib = ember if isinstance(w, ember.Tensor) else torch
        fn = EF.embedding_bag if lib is ember else TF.embedding_bag
        offs = None if layout == "2d" else lib.tensor(offsets)
        return fn(lib.tensor(idx), w, offs, **kwargs, **extra)

    check(run, weight, second=kwargs["mode"] != "max")


def test_embedding_bag_per_sample_weights_and_module():
    r = np.random.default_rng(1)
    idx, offsets, psw = r.integers(0, 6, 9), np.array([0, 4, 6]), rand((9,), 2)
    check(lambda w, s: (EF if isinstance(w, ember.Tensor) else TF).embedding_bag(
        (ember if isinstance(w, ember.Tensor) else torch).tensor(idx), w,
        (ember if isinstance(w, ember.Tensor) else torch).tensor(offsets), mode="sum",
        per_sample_weights=s), rand((6, 3), 3), psw, second=False)  # torch has no 2nd order
    ref = torch.nn.EmbeddingBag(6, 3, mode="sum", padding_idx=1).double()
    ours = ember.nn.EmbeddingBag(6, 3, mode="sum", padding_idx=1).double()
    assert repr(ours) == repr(ref) and not ours.weight.detach().numpy()[1].any()
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    close(ours(ember.tensor(idx), ember.tensor(offsets)),
          ref(torch.tensor(idx), torch.tensor(offsets)))
    frozen = ember.nn.EmbeddingBag.from_pretrained(ember.tensor(rand((6, 3), 4)))
    assert not frozen.weight.requires_grad and frozen.mode == "mean"
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        EF.embedding_bag(ember.tensor(idx), ours.weight, ember.tensor(offsets), mode="mean",
                         per_sample_weights=ember.tensor(psw))
    with pytest.raises(ValueError, match="offsets\\[0\\] has to be 0"):
        EF.embedding_bag(ember.tensor(idx), ours.weight, ember.tensor([1, 4]))
    with pytest.raises(ValueError, match="offsets has to be None if input is 2D"):
        EF.embedding_bag(ember.tensor(idx.reshape(3, 3)), ours.weight, ember.tensor([0, 1]))


def test_embedding_bag_checks_its_arguments():
    w = ember.tensor(rand((10, 3), 0))
    idx = ember.tensor(np.array([1, 2, 3, 4, 5, 6]))
    with pytest.raises(ValueError, match="padding_idx must be within the 10 rows"):
        EF.embedding_bag(idx, w, ember.tensor([0, 2]), padding_idx=12)
    with pytest.raises(ValueError, match="last offset must be the input's length 6, got 4"):
        EF.embedding_bag(idx, w, ember.tensor([0, 2, 4]), include_last_offset=True)
    with pytest.raises(ValueError, match="max mode does not support scaling"):
        EF.embedding_bag(idx, w, ember.tensor([0, 2]), mode="max", scale_grad_by_freq=True)
