"""ember.nn.functional: the public surface, dropout, pad, normalize and distances."""

import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.nn.functional as F
from reference import check, close, rand


def fn(name, *args, **kwargs):
    def call(*tensors):
        mod = F if isinstance(tensors[0], ember.Tensor) else TF
        return getattr(mod, name)(*tensors, *args, **kwargs)
    return call


def test_every_public_name_exists_with_torchs_signature_and_a_docstring():
    for name in F.__all__:
        ours = getattr(F, name)
        assert ours.__doc__, f"F.{name} has no docstring"
        ref = getattr(TF, name)
        try:
            ref_params = list(inspect.signature(ref).parameters)
        except ValueError:  # a builtin: torch gives no signature
            continue
        if ref_params == ["args", "kwargs"]:  # torch dispatches on return_indices: no signature
            continue
        ours_params = [p for p in inspect.signature(ours).parameters]
        # softmax & co. drop torch's private _stacklevel; nothing else may differ.
        assert ours_params == [p for p in ref_params if p != "_stacklevel"], name


def test_linear_matches_torch():
    check(fn("linear"), rand((2, 3, 4), 0), rand((5, 4), 1), rand((5,), 2))


# --- dropout ------------------------------------------------------------------


def test_dropout_zeroes_a_fraction_p_and_scales_the_rest():
    x = ember.ones(4000, dtype=ember.float64, requires_grad=True)
    ember.manual_seed(0)
    y = F.dropout(x, 0.3)
    out = y.detach().numpy()
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.03
    np.testing.assert_allclose(out[kept], 1 / 0.7)
    (g,) = ember.autograd.grad(y.sum(), x)
    np.testing.assert_array_equal(g.numpy(), out)


def test_dropout_is_reproducible_under_manual_seed():
    x = ember.tensor(rand((5, 6), 3))
    ember.manual_seed(7)
    a = F.dropout(x, 0.5)
    ember.manual_seed(7)
    b = F.dropout(x, 0.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), F.dropout(x, 0.5).numpy())


def test_dropout_edge_cases():
    x = ember.tensor(rand((3, 4), 4))
    assert F.dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(F.dropout(x, 0.0).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((3, 4)))
    y = x * 1.0
    assert F.dropout(y, 0.5, inplace=True) is y
    assert ((y.numpy() == 0) | np.isclose(y.numpy(), 2 * x.numpy())).all()
    with pytest.raises(ValueError, match="dropout: probability has to be between 0 and 1, but "
                                         "got 1.5"):
        F.dropout(x, 1.5)


# --- pad ----------------------------------------------------------------------


@pytest.mark.parametrize("shape,amounts", [
    ((3,), (1, 2)), ((2, 3), (0, 1)), ((2, 3), (2, 1, 1, 0)), ((2, 3, 4), (1, 1, 2, 2, 0, 1)),
    ((2, 3), (-1, 2)), ((2, 4), (-1, -2, 1, -1)), ((2, 3), (0, 0)), ((0, 2), (1, 1)), ((), ()),
])
@pytest.mark.parametrize("value", [None, 2.5])
def test_constant_pad_matches_torch(shape, amounts, value):
    check(fn("pad", amounts, "constant", value), rand(shape, 5))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,amounts", [
    ((2, 5), (2, 1)), ((1, 2, 5), (0, 3)), ((2, 4, 5), (1, 2, 3, 0)), ((1, 3, 4, 5), (1, 2, 2, 1)),
    ((1, 2, 3, 4, 5), (1, 1, 2, 0, 0, 2)),
])
def test_gathering_pads_match_torch(mode, shape, amounts):
    check(fn("pad", amounts, mode), rand(shape, 6))


def test_pad_errors():
    x = ember.tensor(rand((2, 3), 7))
    with pytest.raises(ValueError, match="pad: padding length must be divisible by 2, got 3"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="pad: padding length 6 pads more dimensions than the "
                                         "input's 2"):
        F.pad(x, (1,) * 6)
    with pytest.raises(ValueError, match="pad: mode must be 'constant', 'reflect', 'replicate' or "
                                         "'circular', got 'foo'"):
        F.pad(x, (1, 1), mode="foo")
    with pytest.raises(ValueError, match="pad: 'reflect' padding must be less than the "
                                         r"dimension's size, got padding \(3, 1\) of dimension 1"):
        F.pad(x, (3, 1), mode="reflect")
    with pytest.raises(ValueError, match="pad: 'circular' padding must be at most"):
        F.pad(x, (4, 1), mode="circular")
    with pytest.raises(ValueError, match="pad: negative padding is only supported in 'constant'"):
        F.pad(x, (-1, 1), mode="replicate")
    with pytest.raises(ValueError, match="pad: mode 'reflect' takes no value argument"):
        F.pad(x, (1, 1), mode="reflect", value=1.0)
    with pytest.raises(ValueError, match=r"pad: padding \(-3, -1\) crops more than the size 3"):
        F.pad(x, (-3, -1))


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_constant_pad_property(shape, data):
    amounts = data.draw(st.lists(st.integers(-1, 2), min_size=2 * len(shape),
                                 max_size=2 * len(shape)))
    if any(s + min(a, 0) + min(b, 0) < 0
           for s, a, b in zip(reversed(shape), amounts[::2], amounts[1::2])):
        return
    check(fn("pad", tuple(amounts)), rand(tuple(shape), 8), second=False)


# --- normalize and distances --------------------------------------------------


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("shape,dim", [((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((5,), 0)])
def test_normalize_matches_torch(p, shape, dim):
    check(fn("normalize", p, dim), rand(shape, 9))


def test_normalize_clamps_tiny_norms():
    a = np.array([[1e-14, -2e-14], [3.0, 4.0]])
    check(fn("normalize"), a)


@pytest.mark.parametrize("s1,s2,dim", [((4, 5), (4, 5), 1), ((4, 5), (5,), -1),
                                       ((2, 3, 4), (2, 1, 4), 2), ((3, 4), (3, 4), 0)])
def test_cosine_similarity_matches_torch(s1, s2, dim):
    check(fn("cosine_similarity", dim), rand(s1, 10), rand(s2, 11))


def test_cosine_similarity_of_a_zero_vector_is_zero_with_finite_grads():
    a, b = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]]), rand((2, 3), 12)
    # First derivatives only: torch's second derivative at a zero vector is nan.
    check(fn("cosine_similarity"), a, b, second=False)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("s1,s2", [((4, 5), (4, 5)), ((4, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_pairwise_distance_matches_torch(s1, s2, p, keepdim):
    check(fn("pairwise_distance", p, 1e-6, keepdim), rand(s1, 13), rand(s2, 14))


def test_distance_errors():
    with pytest.raises(RuntimeError, match=r"cosine_similarity: shapes \[3, 4\] and \[2, 4\] "
                                           "cannot be broadcast"):
        F.cosine_similarity(ember.tensor(rand((3, 4))), ember.tensor(rand((2, 4))))
    with pytest.raises(IndexError, match="normalize: dimension out of range"):
        F.normalize(ember.tensor(rand((3,))), dim=1)
    x = ember.tensor(rand((3, 4)))
    close(F.sigmoid(x), torch.sigmoid(torch.tensor(x.numpy())))
    close(F.tanh(x), torch.tanh(torch.tensor(x.numpy())))
