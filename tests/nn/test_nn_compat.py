"""The less common parts of ``ember.nn.functional`` and ``ember.nn.init`` that real
PyTorch programs still call (gumbel_softmax, pdist, the deprecated upsample and
init aliases, the pooling ``*_with_indices`` names), against PyTorch."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from reference import check, close, rand


def fn(name, *args, **kwargs):
    """``F.<name>`` on Ember tensors, ``torch.nn.functional.<name>`` on torch ones."""
    def call(x):
        f = getattr(F if isinstance(x, ember.Tensor) else TF, name)
        return f(x, *args, **kwargs)
    return call


# ---------------------------------------------------------------- gumbel_softmax

def _fixed_noise(shape, dtype, seed):
    """The Exp(1) draws gumbel_softmax takes after ``ember.manual_seed(seed)``."""
    ember.manual_seed(seed)
    return ember.empty(shape, dtype=dtype).exponential_().numpy()


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("tau,dim", [(1.0, -1), (0.5, 0), (2.0, 1)])
def test_gumbel_softmax_is_the_formula_with_its_noise(hard, tau, dim):
    logits = rand((4, 5, 3), 0)
    noise = _fixed_noise(logits.shape, ember.float64, 7)
    ember.manual_seed(7)
    x = ember.tensor(logits, requires_grad=True)
    y = F.gumbel_softmax(x, tau=tau, hard=hard, dim=dim)
    # torch with the same Gumbel noise, written the way the method is defined
    xt = torch.tensor(logits, requires_grad=True)
    soft = torch.softmax((xt - torch.tensor(noise).log()) / tau, dim)
    if hard:
        onehot = torch.zeros_like(soft).scatter_(dim, soft.argmax(dim, keepdim=True), 1.0)
        ref = onehot - soft.detach() + soft
    else:
        ref = soft
    close(y, ref)
    up = rand(logits.shape, 3)
    (g,) = ember.autograd.grad(y, x, ember.tensor(up), create_graph=True)
    (gt,) = torch.autograd.grad(ref, xt, torch.tensor(up), create_graph=True)
    close(g, gt)
    v = rand(logits.shape, 4)
    close(ember.autograd.grad((g * ember.tensor(v)).sum(), x)[0],
          torch.autograd.grad((gt * torch.tensor(v)).sum(), xt)[0])


def test_gumbel_softmax_hard_is_one_hot_with_soft_gradient():
    ember.manual_seed(0)
    x = ember.tensor(rand((6, 4), 1), requires_grad=True)
    y = F.gumbel_softmax(x, tau=0.7, hard=True)
    a = y.detach().numpy()
    assert set(np.unique(a)) <= {0.0, 1.0} and np.all(a.sum(-1) == 1)
    ember.manual_seed(0)
    soft = F.gumbel_softmax(x, tau=0.7)
    np.testing.assert_array_equal(a.argmax(-1), soft.detach().numpy().argmax(-1))
    up = ember.tensor(rand((6, 4), 2))
    close(ember.autograd.grad(y, x, up)[0], ember.autograd.grad(soft, x, up)[0])


def test_gumbel_softmax_samples_follow_the_softmax():
    # Gumbel-max: argmax(logits + g) is distributed as softmax(logits), at any tau.
    logits = np.array([1.0, 0.0, -1.0, 0.5])
    ember.manual_seed(3)
    n = 40000
    y = F.gumbel_softmax(ember.tensor(np.tile(logits, (n, 1))), tau=0.3, hard=True).numpy()
    p = torch.softmax(torch.tensor(logits), 0).numpy()
    np.testing.assert_allclose(y.mean(0), p, atol=4 * np.sqrt(p * (1 - p) / n).max())
    # The soft samples' mean and spread agree with torch's own (independent) samples.
    ember.manual_seed(4)
    ours = F.gumbel_softmax(ember.tensor(np.tile(logits, (n, 1))), tau=2.0).numpy()
    torch.manual_seed(4)
    ref = TF.gumbel_softmax(torch.tensor(np.tile(logits, (n, 1))), tau=2.0).numpy()
    np.testing.assert_allclose(ours.mean(0), ref.mean(0), atol=0.006)
    np.testing.assert_allclose(ours.std(0), ref.std(0), atol=0.006)
    np.testing.assert_allclose(ours.sum(-1), 1.0, rtol=1e-12)


def test_gumbel_softmax_keeps_dtype_and_checks_input():
    y = F.gumbel_softmax(ember.zeros(2, 3))
    assert y.dtype == ember.float32 and y.shape == (2, 3)
    assert F.gumbel_softmax(ember.tensor(1.5), dim=0).item() == 1.0  # one category, as torch
    with pytest.raises(RuntimeError, match="gumbel_softmax: expected floating-point logits"):
        F.gumbel_softmax(ember.ones(3, dtype=ember.int64))
    with pytest.raises(IndexError, match="gumbel_softmax: dimension out of range"):
        F.gumbel_softmax(ember.zeros(3), dim=2)
    with pytest.raises(TypeError, match="gumbel_softmax: expected logits to be a Tensor"):
        F.gumbel_softmax([1.0, 2.0])


# ---------------------------------------------------------------- pdist

@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 2.0, 3.0, float("inf")])
def test_pdist_matches_torch(p):
    a = rand((6, 4), 0)
    # torch's pdist has no second derivative: compare with its norm composition for that
    check(fn("pdist", p), a, second=False)
    i, j = np.triu_indices(6, 1)
    if p not in (0.0, float("inf")):
        check(lambda x: F.pdist(x, p) if isinstance(x, ember.Tensor)
              else (x[i] - x[j]).norm(p, dim=1), a)


@pytest.mark.parametrize("p", [0.5, 1.0, 2.0, float("inf")])
def test_pdist_of_repeated_rows_has_zero_distance_and_gradient(p):
    a = rand((4, 3), 1)
    a[3] = a[1]
    check(fn("pdist", p), a, second=False)


@pytest.mark.parametrize("shape", [(1, 3), (3, 0)])
def test_pdist_degenerate_shapes(shape):
    check(fn("pdist"), np.zeros(shape), second=False)
    assert F.pdist(ember.zeros(*shape)).dtype == ember.float32


def test_pdist_of_no_rows():
    # torch's backward crashes here, so only its value is compared
    x = ember.zeros(0, 3, requires_grad=True)
    y = F.pdist(x)
    close(y, TF.pdist(torch.zeros(0, 3)))
    assert ember.autograd.grad(y.sum(), x)[0].shape == (0, 3)


def test_pdist_errors():
    with pytest.raises(RuntimeError, match="pdist: only supports 2D tensors, got: 3D"):
        F.pdist(ember.zeros(2, 3, 4))
    with pytest.raises(RuntimeError, match="pdist: only supports non-negative p values"):
        F.pdist(ember.zeros(3, 4), -1)
    with pytest.raises(RuntimeError, match="pdist: only supports floating-point dtypes"):
        F.pdist(ember.ones(3, 4, dtype=ember.int64))
    with pytest.raises(TypeError, match="pdist: expected input to be a Tensor"):
        F.pdist(np.zeros((3, 4)))


# ---------------------------------------------------------------- deprecated upsample

@pytest.mark.parametrize("name,args,kwargs,shape", [
    ("upsample", (), dict(scale_factor=2), (1, 2, 3, 4)),
    ("upsample", (), dict(size=(5, 7), mode="bilinear", align_corners=False), (1, 2, 3, 4)),
    ("upsample", (), dict(size=9, mode="linear", align_corners=True), (2, 2, 4)),
    ("upsample_nearest", ((6, 5),), {}, (1, 2, 3, 4)),
    ("upsample_nearest", (), dict(scale_factor=3), (2, 2, 4)),
    ("upsample_bilinear", (), dict(scale_factor=2), (1, 2, 3, 4)),
    ("upsample_bilinear", ((5, 6),), {}, (2, 1, 3, 4)),
])
def test_upsample_aliases_match_torch_and_warn(name, args, kwargs, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(fn(name, *args, **kwargs), rand(shape))
    with pytest.warns(UserWarning, match=rf"`nn.functional.{name}` is deprecated. Use "
                                         "`nn.functional.interpolate` instead."):
        getattr(F, name)(ember.tensor(rand(shape)), *args, **kwargs)


# ---------------------------------------------------------------- *_with_indices

@pytest.mark.parametrize("name,args,shape", [
    ("max_pool1d_with_indices", (3, 2, 1), (2, 3, 9)),
    ("max_pool2d_with_indices", ((3, 2), 1, 1, 1, True), (2, 3, 7, 6)),
    ("max_pool3d_with_indices", (2,), (1, 2, 4, 5, 4)),
    ("adaptive_max_pool1d_with_indices", (4,), (2, 3, 9)),
    ("adaptive_max_pool2d_with_indices", ((3, 2),), (2, 3, 7, 6)),
    ("adaptive_max_pool3d_with_indices", (2,), (1, 2, 4, 5, 4)),
])
@pytest.mark.parametrize("return_indices", [False, True])
def test_pool_with_indices_always_returns_indices(name, args, shape, return_indices):
    values, idx = check(fn(name, *args, return_indices=return_indices), rand(shape))
    assert idx.dtype == ember.int64
    plain = getattr(F, name.replace("_with_indices", ""))
    close(plain(ember.tensor(rand(shape)), *args, return_indices=True)[1], idx)


@pytest.mark.parametrize("dims", [2, 3])
def test_fractional_max_pool_with_indices_match_torch(dims):
    shape = (2, 3) + (7,) * dims
    samples = rand((2, 3, dims), 5, 0.0, 1.0)
    out = (4,) * dims

    def run(x):
        name = f"fractional_max_pool{dims}d_with_indices"
        f = getattr(F if isinstance(x, ember.Tensor) else TF, name)
        s = (ember if isinstance(x, ember.Tensor) else torch).tensor(samples)
        return f(x, 2, output_size=out, _random_samples=s)

    values, idx = check(run, rand(shape))
    assert idx.dtype == ember.int64 and values.shape == (2, 3) + out


def test_functional_names_match_torch():
    missing = [n for n in ("gumbel_softmax", "pdist", "upsample", "upsample_nearest",
                           "upsample_bilinear", "max_pool1d_with_indices",
                           "fractional_max_pool3d_with_indices")
               if n not in F.__all__]
    assert not missing


# ---------------------------------------------------------------- nn.init's old names

@pytest.mark.parametrize("name,args,shape", [
    ("uniform", (-1.0, 1.0), (3, 4)), ("normal", (0.0, 2.0), (3, 4)),
    ("constant", (0.25,), (3, 4)), ("eye", (), (3, 4)), ("dirac", (), (4, 2, 3)),
    ("xavier_uniform", (), (3, 4)), ("xavier_normal", (2.0,), (3, 4)),
    ("kaiming_uniform", (0.1,), (3, 4, 2)), ("kaiming_normal", (), (3, 4)),
    ("orthogonal", (), (3, 5)), ("sparse", (0.5,), (4, 3)),
])
def test_init_deprecated_aliases_warn_and_fill_like_the_new_names(name, args, shape):
    old, new = getattr(ember.nn.init, name), getattr(ember.nn.init, name + "_")
    a, b = ember.empty(*shape), ember.empty(*shape)
    g1, g2 = ember.Generator().manual_seed(5), ember.Generator().manual_seed(5)
    extra = {} if name in ("constant", "eye", "dirac") else {"generator": g1}
    with pytest.warns(FutureWarning, match=rf"`nn.init.{name}` is now deprecated in favor of "
                                           rf"`nn.init.{name}_`."):
        assert old(a, *args, **extra) is a
    new(b, *args, **({"generator": g2} if extra else {}))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    # torch warns the same way for the same call
    with pytest.warns(FutureWarning, match=rf"`nn.init.{name}` is now deprecated"):
        getattr(torch.nn.init, name)(torch.empty(*shape), *args)
    assert old.__name__ == name and old.__doc__


def test_init_deprecated_alias_passes_errors_through():
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="eye_: only tensors "
                                                                     "with 2 dimensions"):
        ember.nn.init.eye(ember.empty(2, 2, 2))


def test_init_names_match_torch():
    # torch's module also exposes its imports (torch, ParamSpec ...): only its own functions
    names = [n for n in dir(torch.nn.init) if not n.startswith("_")
             and getattr(getattr(torch.nn.init, n), "__module__", None) == "torch.nn.init"]
    assert "xavier_uniform" in names and len(names) > 20
    assert [n for n in names if not hasattr(ember.nn.init, n)] == []
