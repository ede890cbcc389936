"""cummax/cummin, logcumsumexp, bincount, histc, isin, aminmax, mode, nanmedian, quantile,
nanquantile, cov and corrcoef against PyTorch: values, dtypes, shapes, gradients, second
derivatives, ties, NaNs, empty inputs and errors."""

import inspect

import numpy as np
import pytest
import torch

import ember
from ember.ops import tensor_stats as TS
from reference import check, close, rand, same, twin_fn

NAN = np.nan
X = rand((3, 5))


def fn(name):
    """``TS.<name>`` on Ember tensors, ``torch.<name>`` on torch tensors."""
    return twin_fn(TS, name)


cummax, cummin, logcumsumexp = fn("cummax"), fn("cummin"), fn("logcumsumexp")
bincount, histc, isin, aminmax = fn("bincount"), fn("histc"), fn("isin"), fn("aminmax")
mode, nanmedian, quantile, nanquantile = (fn("mode"), fn("nanmedian"), fn("quantile"),
                                          fn("nanquantile"))
cov, corrcoef = fn("cov"), fn("corrcoef")


# ---- cummax / cummin ------------------------------------------------------------

@pytest.mark.parametrize("op", [cummax, cummin])
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 5), 1), ((3, 5), -2), ((2, 3, 4), 1)])
def test_cummax_cummin_match_torch(op, shape, dim):
    check(lambda x: op(x, dim), rand(shape, seed=len(shape) + dim))


@pytest.mark.parametrize("op", [cummax, cummin])
def test_cummax_cummin_ties_go_to_the_latest_index(op):
    a = np.array([[1.0, 3, 3, 2, 3], [5, 5, 1, 5, 0], [2, 2, 2, 2, 2]])
    check(lambda x: op(x, 1), a)
    check(lambda x: op(x, 0), a.T.copy())


@pytest.mark.parametrize("op", [cummax, cummin])
def test_cummax_cummin_nan_integer_bool_0d_empty(op):
    same(lambda x: op(x, 0), np.array([1.0, NAN, 5, NAN, -1]))
    same(lambda x: op(x, 1), np.array([[3, 1, 2, 7], [-1, 4, 4, 0]]))
    same(lambda x: op(x, 0), np.array([False, True, False]))
    check(lambda x: op(x, 0), np.array(2.0))
    check(lambda x: op(x, -1), np.array(2.0))
    same(lambda x: op(x, 0), np.zeros((0, 3)))


def test_cummax_is_a_named_pair():
    result = TS.cummax(ember.tensor(X), 1)
    values, indices = result
    assert result.values is values and result.indices is indices
    assert type(result).__name__ == "cummax" and indices.dtype == ember.int64


# ---- logcumsumexp ---------------------------------------------------------------

@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 5), 1), ((3, 5), -2), ((2, 3, 4), 2)])
def test_logcumsumexp_matches_torch(shape, dim):
    check(lambda x: logcumsumexp(x, dim), rand(shape, seed=dim + 3))


def test_logcumsumexp_is_stable_for_wide_ranges():
    check(lambda x: logcumsumexp(x, 0), np.array([-1000.0, 0.0, 1000.0, 3.0, -500.0]))
    check(lambda x: logcumsumexp(x, 1), rand((2, 6), low=-300, high=300))


def test_logcumsumexp_infinities_0d_empty_and_float32():
    same(lambda x: logcumsumexp(x, 0), np.array([-np.inf, -np.inf, 1.0, np.inf, 2.0]))
    check(lambda x: logcumsumexp(x, 0), np.array(1.5))
    same(lambda x: logcumsumexp(x, 0), np.zeros((0, 2)))
    same(lambda x: logcumsumexp(x, 1), rand((2, 3)).astype(np.float32))


# ---- bincount / histc / isin ----------------------------------------------------

def test_bincount_matches_torch():
    a = np.array([1, 3, 1, 0, 7])
    same(lambda x: bincount(x), a)
    same(lambda x: bincount(x, minlength=10), a)
    same(lambda x: bincount(x, minlength=2), a.astype(np.uint8))
    for w in (rand(5), rand(5).astype(np.float32), np.array([1, 2, 3, 4, 5]),
              np.array([True, False, True, True, False])):
        same(lambda x, y: bincount(x, y), a, w)
        same(lambda x, y: bincount(x, weights=y, minlength=9), a, w)


def test_bincount_empty():
    e = np.zeros(0, np.int64)
    same(lambda x: bincount(x), e)
    same(lambda x: bincount(x, minlength=3), e)
    same(lambda x, w: bincount(x, w, 3), e, np.zeros(0))


def test_histc_matches_torch():
    same(lambda x: histc(x, bins=4, min=0, max=3), np.array([1.0, 2, 1]))
    same(lambda x: histc(x, 3), np.array([1.0, 2, 1, 4]))  # range from the data
    same(lambda x: histc(x, bins=4), np.array([1.0, 1]))  # one value: widened by 1
    same(lambda x: histc(x, 3, 0, 3), np.array([-1.0, 0, 1, 2, 3, 3.5]))  # outside ignored
    same(lambda x: histc(x, 4, 0, 3), np.array([1.0, NAN, 2]))  # NaN ignored
    same(lambda x: histc(x, bins=4), np.zeros(0))
    same(lambda x: histc(x, 7), rand((4, 6)))
    same(lambda x: histc(x, 3, 0.1, 0.7), np.array([0.1, 0.2, 0.3, 0.7], np.float32))
    r = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):  # the bin arithmetic matches at bin edges
        a = np.round(r.uniform(-1, 1, 2000), 2).astype(dtype)
        same(lambda x: histc(x, 50, -1, 1), a)
        same(lambda x: histc(x, 13, -0.7, 0.9), a)


def test_isin_matches_torch():
    same(lambda a, b: isin(a, b), np.array([1, 2, 3]), np.array([2, 5]))
    same(lambda a, b: isin(a, b, invert=True), np.array([1, 2, 3]), np.array([2, 5]))
    same(lambda a, b: isin(a, b, assume_unique=True), np.array([1, 2, 3]), np.array([2, 5]))
    same(lambda a, b: isin(a, b), np.array([[1, 2], [3, 4]]), np.array([[2], [4]]))
    same(lambda a, b: isin(a, b), np.array([1.0, 2.5, 3]), np.array([2, 3]))
    same(lambda a, b: isin(a, b), np.array([NAN, 1.0]), np.array([NAN]))
    same(lambda a, b: isin(a, b), np.zeros(0), np.array([1.0]))
    f32, f64 = np.array([0.1], np.float32), np.float64(0.1)
    same(lambda a, b: isin(a, b), f32, np.array(f64))  # a 0-d tensor meets at float32
    same(lambda a, b: isin(a, b), f32, np.array([f64]))  # a 1-D one at float64
    same(lambda a: isin(a, 0.1), f32)
    same(lambda a: isin(a, 2), np.array([1, 2, 3]))
    same(lambda a: isin(a, 1.5), np.array([1, 2, 3]))
    same(lambda b: isin(2, b), np.array([2, 5]))
    same(lambda b: isin(0.1, b), f32)


# ---- aminmax --------------------------------------------------------------------

@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (0, False), (1, True),
                                         (-1, False)])
def test_aminmax_matches_torch(dim, keepdim):
    check(lambda x: aminmax(x, dim=dim, keepdim=keepdim), X)
    check(lambda x: aminmax(x, dim=dim, keepdim=keepdim), rand((2, 3, 4), seed=4))


def test_aminmax_ties_share_the_gradient_and_other_dtypes():
    a = np.array([[1.0, 3, 3, 1], [2, 2, 2, 2]])
    check(lambda x: aminmax(x), a)
    check(lambda x: aminmax(x, dim=1), a)
    check(lambda x: aminmax(x, dim=0), np.array(3.0))
    same(lambda x: aminmax(x), np.array([True, False]))
    same(lambda x: aminmax(x, dim=-1), np.array([[1, 2, -4]]))
    same(lambda x: aminmax(x, dim=1), np.zeros((0, 3)))
    result = TS.aminmax(ember.tensor(X))
    assert type(result).__name__ == "aminmax" and result.min is result[0]


# ---- mode -----------------------------------------------------------------------

def test_mode_matches_torch_with_ties():
    a = np.array([[3.0, 1, 1, 3, 2], [5, 5, 4, 4, 4], [1, 2, 2, 3, 3], [7, 6, 5, 4, 3]])
    for dim, keepdim in ((1, False), (-1, True), (0, False), (0, True)):
        check(lambda x: mode(x, dim, keepdim), a)
    check(lambda x: mode(x), np.array([1.0, 2, 2, 3, 3, 1, 2, 3]))
    r = np.random.default_rng(3)
    check(lambda x: mode(x, 1), r.integers(0, 4, (5, 16)).astype(float))
    check(lambda x: mode(x, 0, True), r.integers(0, 3, (9, 2, 3)).astype(float))


def test_mode_integer_bool_0d_empty():
    same(lambda x: mode(x), np.array([[3, 1, 1, 3, 2], [5, 5, 4, 4, 4]]))
    same(lambda x: mode(x), np.array([True, False, True]))
    check(lambda x: mode(x), np.array(2.0))
    same(lambda x: mode(x, 1), np.zeros((0, 3)))
    same(lambda x: mode(x, 0), np.zeros((3, 0)))


def test_mode_long_slices_return_the_mode_and_one_of_its_indices():
    # PyTorch's index among equal values is implementation-defined past 16 elements
    a = np.random.default_rng(0).integers(0, 5, (4, 50)).astype(float)
    ours = TS.mode(ember.tensor(a), 1)
    ref = torch.mode(torch.tensor(a), 1)
    close(ours.values, ref.values)
    idx = ours.indices.numpy()
    np.testing.assert_array_equal(a[np.arange(4), idx], ours.values.numpy())
    for row, i in zip(a, idx):  # Ember: the last occurrence
        assert i == np.nonzero(row == row[i])[0][-1]


# ---- nanmedian ------------------------------------------------------------------

def test_nanmedian_over_everything():
    check(lambda x: nanmedian(x), X)
    check(lambda x: nanmedian(x), np.array([1.0, NAN, 3, 2]))
    check(lambda x: nanmedian(x), np.array([1.0, 2, 2, NAN, 3]))  # ties share the gradient
    check(lambda x: nanmedian(x), np.array([NAN, NAN]))
    check(lambda x: nanmedian(x), np.array(2.0))
    same(lambda x: nanmedian(x), np.zeros(0))
    same(lambda x: nanmedian(x), np.array([3, 1, 2]))


@pytest.mark.parametrize("dim,keepdim", [(1, False), (-1, True), (0, False)])
def test_nanmedian_along_dim(dim, keepdim):
    a = np.array([[1.0, NAN, 3, 2], [2, 2, 1, 1], [5, NAN, NAN, 4.5], [2, 1, 2, 1]])
    check(lambda x: nanmedian(x, dim, keepdim), a)
    check(lambda x: nanmedian(x, dim, keepdim), rand((3, 4, 2), seed=7))


def test_nanmedian_ties_match_torch_and_all_nan_slices():
    check(lambda x: nanmedian(x, 1), np.array([[2.0, 1, 2, 1, 2, 1], [3, 3, 3, 1, 1, 1]]))
    check(lambda x: nanmedian(x, 0), np.array(2.0))
    same(lambda x: nanmedian(x, 0), np.array([3, 1, 2]))
    same(lambda x: nanmedian(x, 1), np.zeros((0, 2)))
    a = np.array([[NAN, NAN, NAN], [1.0, NAN, 2]])
    ours, ref = TS.nanmedian(ember.tensor(a), 1), torch.nanmedian(torch.tensor(a), 1)
    close(ours.values, ref.values)  # the index of an all-NaN row is unspecified in PyTorch
    assert ours.indices.tolist() == [0, 0] and type(ours).__name__ == "nanmedian"


# ---- quantile / nanquantile ---------------------------------------------------------

MODES = ["linear", "lower", "higher", "midpoint", "nearest"]


@pytest.mark.parametrize("interpolation", MODES)
@pytest.mark.parametrize("op", [quantile, nanquantile])
def test_quantile_matches_torch(op, interpolation):
    q1 = np.array([0.0, 0.15, 0.5, 0.8, 1.0])
    kw = {"interpolation": interpolation}
    check(lambda x: op(x, 0.3, **kw), X)
    check(lambda x, q: op(x, q, **kw), X, q1)
    check(lambda x, q: op(x, q, dim=1, **kw), X, q1)
    check(lambda x, q: op(x, q, -2, True, **kw), X, np.array(0.65))
    check(lambda x, q: op(x, q, 1, keepdim=True, **kw), rand((2, 4, 3), seed=2), q1[1:4])
    check(lambda x: op(x, 0.4, None, True, **kw), rand((2, 4, 3), seed=2))
    check(lambda x, q: op(x, q, None, True, **kw), rand((2, 4, 3), seed=2), q1[:2])
    check(lambda x: op(x, 0.7, 0, **kw), np.array(3.0))
    check(lambda x, q: op(x, q, 0, True, **kw), np.array(3.0), q1[2:3])


@pytest.mark.parametrize("interpolation", MODES)
def test_quantile_ranks_between_and_on_samples(interpolation):
    q = np.array([0.0, 0.1, 0.125, 0.3, 0.375, 0.5, 0.625, 0.875, 1.0])
    for data in (np.arange(5.0), np.arange(6.0), np.arange(6.0).astype(np.float32)):
        same(lambda x, q: quantile(x, q, interpolation=interpolation), data,
             q.astype(data.dtype))


@pytest.mark.parametrize("interpolation", MODES)
def test_quantile_with_nans(interpolation):
    a = np.array([[1.0, NAN, 3, 2], [NAN, NAN, NAN, NAN], [4, 2, 1, 3]])
    q = np.array([0.25, 0.6])
    same(lambda x, q: quantile(x, q, 1, interpolation=interpolation), a, q)
    check(lambda x, q: nanquantile(x, q, 1, interpolation=interpolation), a, q)
    same(lambda x: nanquantile(x, 0.5, interpolation=interpolation), a)
    same(lambda x: quantile(x, 0.5, interpolation=interpolation), a)


def test_quantile_result_dtype_float32():
    a = rand((3, 4)).astype(np.float32)
    same(lambda x: quantile(x, 0.3, 1), a)
    same(lambda x, q: nanquantile(x, q), a, np.array([0.2, 0.9], np.float32))


# ---- cov / corrcoef -----------------------------------------------------------------

@pytest.mark.parametrize("correction", [0, 1, 2])
def test_cov_matches_torch(correction):
    check(lambda x: cov(x, correction=correction), X)
    check(lambda x: cov(x, correction=correction), rand(6, seed=3))
    check(lambda x, f: cov(x, correction=correction, fweights=f), X, np.array([1, 2, 0, 3, 1]))
    check(lambda x, a: cov(x, correction=correction, aweights=a), X,
          np.array([1.0, 0.5, 2, 0.1, 3]))
    check(lambda x, f, a: cov(x, correction=correction, fweights=f, aweights=a), X,
          np.array([1, 2, 1, 3, 1]), np.array([1.0, 0.5, 2, 0.1, 3]))


def test_cov_dtypes_and_degenerate_inputs():
    same(lambda x: cov(x), np.array([[1, 2, 4], [2, 1, 0]]))  # integers: the default float
    same(lambda x, a: cov(x, aweights=a), X.astype(np.float32), np.ones(5))  # float64 weights
    same(lambda x: cov(x), np.zeros((0, 3)))
    for a in (np.array([[1.0], [2.0]]), np.array(2.0), np.zeros((2, 0))):
        with pytest.warns(RuntimeWarning, match=r"cov\(\): degrees of freedom is <= 0"):
            ours = TS.cov(ember.tensor(a))
        with pytest.warns(UserWarning):
            close(ours, torch.cov(torch.tensor(a)))
    with pytest.warns(RuntimeWarning, match="degrees of freedom"):
        ours = TS.cov(ember.tensor(X), correction=5)
    with pytest.warns(UserWarning):
        close(ours, torch.cov(torch.tensor(X), correction=5))


def test_corrcoef_matches_torch():
    check(lambda x: corrcoef(x), X, atol=1e-8)
    check(lambda x: corrcoef(x), rand((2, 7), seed=9), atol=1e-8)
    same(lambda x: corrcoef(x), rand(4))
    same(lambda x: corrcoef(x), np.array([[1.0, 1, 1], [1, 2, 3]]))  # constant: NaN
    same(lambda x: corrcoef(x), np.array([[1, 2, 4], [2, 1, 0]]))


# ---- methods and errors ---------------------------------------------------------------

def test_declared_names_match_torch():
    for name in TS.__all__:
        f = getattr(TS, name)
        assert f.__doc__, f"{name} has no docstring"
        assert hasattr(torch, name), name
    for name in TS.__methods__:
        assert hasattr(torch.Tensor, name), name
        first = next(iter(inspect.signature(getattr(TS, name)).parameters))
        assert first == "input", name
    for name in TS.__inplace__:
        assert hasattr(torch.Tensor, name + "_"), name
    assert set(TS.__methods__) == {n for n in TS.__all__ if hasattr(torch.Tensor, n)}


def _raises(exc, match, f, *args, **kwargs):
    with pytest.raises(exc, match=match):
        f(*args, **kwargs)


T = ember.tensor


def test_errors_cumulative():
    _raises(IndexError, r"cummax: dimension out of range .*got 2", TS.cummax, T([1.0]), 2)
    _raises(TypeError, r"cummin: expected input to be a Tensor, got list", TS.cummin, [1.0], 0)
    _raises(RuntimeError, r"logcumsumexp: expected a floating point input, got .*int64",
            TS.logcumsumexp, T([1, 2]), 0)
    _raises(IndexError, r"logcumsumexp: dimension out of range", TS.logcumsumexp, T([1.0]), 1)


def test_errors_bincount():
    _raises(RuntimeError, r"bincount: expected an integral input, got .*float32",
            TS.bincount, T([1.0]))
    _raises(RuntimeError, r"bincount: expected an integral input, got .*bool",
            TS.bincount, T([True]))
    _raises(RuntimeError, r"bincount: only 1-d non-negative .* with negative values",
            TS.bincount, T([-1, 2]))
    _raises(RuntimeError, r"bincount: only 1-d non-negative .* shape \[1, 2\]",
            TS.bincount, T([[1, 2]]))
    _raises(RuntimeError, r"bincount: minlength should be >= 0, got -1",
            TS.bincount, T([1]), minlength=-1)
    _raises(TypeError, r"bincount: expected minlength to be an int, got float",
            TS.bincount, T([1]), minlength=1.5)
    _raises(RuntimeError, r"bincount: weights should be 1-d and have the same length as input",
            TS.bincount, T([1, 2]), T([1.0]))


def test_errors_histc():
    _raises(RuntimeError, r"histc: expected a floating point input, got .*int64",
            TS.histc, T([1, 2]), 3)
    _raises(RuntimeError, r"histc: bins must be > 0, got 0", TS.histc, T([1.0]), 0)
    _raises(TypeError, r"histc: expected bins to be an int, got float", TS.histc, T([1.0]), 2.5)
    _raises(RuntimeError, r"histc: max must be larger than min", TS.histc, T([1.0]), 3, 3, 1)
    _raises(RuntimeError, r"histc: range of \[-inf, 1.0\] is not finite",
            TS.histc, T([1.0]), 3, float("-inf"), 1)
    _raises(RuntimeError, r"histc: range of \[nan, nan\] is not finite",
            TS.histc, T([1.0, NAN]), 3)
    _raises(TypeError, r"histc: expected min to be a number, got str", TS.histc, T([1.0]), 3, "a")


def test_errors_isin():
    _raises(TypeError, r"isin: expected elements or test_elements to be a Tensor, got int and "
            r"int", TS.isin, 1, 2)
    _raises(TypeError, r"isin: expected elements to be a Tensor or a number, got list",
            TS.isin, [1], T([1]))
    _raises(RuntimeError, r"isin: bool tensors are not supported", TS.isin, T([True]), T([True]))


def test_errors_aminmax_mode_nanmedian():
    _raises(RuntimeError, r"aminmax\(\): cannot compute aminmax over an empty dimension",
            TS.aminmax, T([]))
    _raises(IndexError, r"aminmax\(\): expected reduction dim 0 to have non-zero size",
            TS.aminmax, ember.zeros(0, 3), dim=0)
    _raises(IndexError, r"aminmax: dimension out of range", TS.aminmax, T([1.0]), dim=1)
    _raises(IndexError, r"mode\(\): expected reduction dim 0 to have non-zero size",
            TS.mode, T([]))
    _raises(IndexError, r"mode: dimension out of range", TS.mode, T([1.0]), 3)
    _raises(IndexError, r"nanmedian\(\): expected reduction dim 1 to have non-zero size",
            TS.nanmedian, ember.zeros(2, 0), 1)
    _raises(TypeError, r"nanmedian: keepdim needs a dim", TS.nanmedian, T([1.0]), keepdim=True)
    _raises(RuntimeError, r"nanmedian\(\): an empty .*int64 input has no median",
            TS.nanmedian, ember.zeros(0, dtype=ember.int64))


def test_errors_quantile():
    x = T([1.0, 2.0])
    _raises(RuntimeError, r"quantile\(\) input tensor must be either float or double dtype",
            TS.quantile, T([1, 2]), 0.5)
    _raises(RuntimeError, r"nanquantile\(\) q must be in the range \[0, 1\] but got 1.5",
            TS.nanquantile, x, 1.5)
    _raises(RuntimeError, r"quantile\(\) q values must be in the range \[0, 1\]",
            TS.quantile, x, T([0.5, -0.1]))
    _raises(RuntimeError, r"quantile\(\) q tensor must be same dtype as the input tensor",
            TS.quantile, x, T([0.5], dtype=ember.float64))
    _raises(RuntimeError, r"quantile\(\) q must be a scalar or 1D tensor, got shape \[1, 1\]",
            TS.quantile, x, T([[0.5]]))
    _raises(TypeError, r"quantile\(\) expected q to be a float or a Tensor, got list",
            TS.quantile, x, [0.5])
    _raises(RuntimeError, r"quantile\(\) input tensor must be non-empty", TS.quantile,
            ember.zeros(0, 3), 0.5, 1)
    _raises(RuntimeError, r"quantile\(\) interpolation must be one of linear, lower, higher, "
            r"midpoint or nearest, but got 'foo'", TS.quantile, x, 0.5, interpolation="foo")
    _raises(IndexError, r"quantile: dimension out of range", TS.quantile, x, 0.5, 2)


def test_errors_cov_corrcoef():
    x = T([[1.0, 2, 4], [2, 1, 0]])
    _raises(RuntimeError, r"cov\(\): expected input to have two or fewer dimensions but got an "
            r"input with 3 dimensions", TS.cov, ember.zeros(2, 2, 2))
    _raises(RuntimeError, r"cov\(\): bool dtype is not supported", TS.cov, T([True, False]))
    _raises(TypeError, r"cov\(\): expected correction to be an int, got float",
            TS.cov, x, correction=0.5)
    _raises(RuntimeError, r"cov\(\): expected fweights to have integral dtype but got fweights "
            r"with .*float32 dtype", TS.cov, x, fweights=T([1.0, 2, 1]))
    _raises(RuntimeError, r"cov\(\): fweights cannot be negative", TS.cov, x,
            fweights=T([1, -2, 1]))
    _raises(RuntimeError, r"cov\(\): expected fweights to have one or fewer dimensions but got "
            r"fweights with 2 dimensions", TS.cov, x, fweights=T([[1, 2, 1]]))
    _raises(RuntimeError, r"cov\(\): expected aweights to have the same numel as there are "
            r"observations in the input but got 2 != 3", TS.cov, x, aweights=T([1.0, 2]))
    _raises(RuntimeError, r"cov\(\): expected aweights to have floating point dtype but got "
            r"aweights with .*int64 dtype", TS.cov, x, aweights=T([1, 2, 1]))
    _raises(RuntimeError, r"cov\(\): aweights cannot be negative", TS.cov, x,
            aweights=T([1.0, -2, 1]))
    _raises(RuntimeError, r"cov\(\): weights sum to zero, can't be normalized", TS.cov, x,
            aweights=T([0.0, 0, 0]))
    _raises(TypeError, r"cov: expected aweights to be a Tensor, got list", TS.cov, x,
            aweights=[1.0, 2, 1])
    _raises(RuntimeError, r"corrcoef\(\): expected input to have two or fewer dimensions",
            TS.corrcoef, ember.zeros(2, 2, 2))


def test_logcumsumexp_second_derivatives_for_non_contiguous_inputs():
    # the saved output must be the C-ordered one the graph holds (row_major copies it)
    x = rand((3, 4), seed=7)
    check(lambda t: logcumsumexp(t.t(), 0), x)
    check(lambda t: logcumsumexp(t.t(), 1), x)
    check(lambda t: logcumsumexp(t[:, ::2], 0), x)
    check(lambda t: logcumsumexp(t.t() * t.t(), 1), x)
    y = TS.logcumsumexp(ember.tensor(x).t(), 0)
    assert y._array.flags.c_contiguous
    ref = torch.logcumsumexp(torch.tensor(x).t(), 0)
    assert y.stride() == ref.stride()


def test_cov_without_degrees_of_freedom_gives_torchs_infinities():
    # norm * 0 was -0.0 for a negative norm, turning inf into -inf
    x = np.array([[1.0, 2.0, 4.0], [3.0, -1.0, 0.5]])
    for kwargs in ({"correction": 5, "aweights": np.array([1.0, 1.0, 1.0])},
                   {"correction": 3, "aweights": np.array([0.5, 2.0, 1.0])},
                   {"correction": 5, "fweights": np.array([1, 2, 1]),
                    "aweights": np.array([1.0, 0.5, 1.0])},
                   {"correction": 3},
                   {"correction": 7}):
        e_kw = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        t_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        for a in (x, x[:1]):
            with pytest.warns(RuntimeWarning, match="degrees of freedom"):
                ours = TS.cov(ember.tensor(a), **e_kw)
            with pytest.warns(UserWarning):
                ref = torch.cov(torch.tensor(a), **t_kw)
            close(ours, ref)
            np.testing.assert_array_equal(np.signbit(ours.numpy()), np.signbit(ref.numpy()))


def test_nanmedian_refuses_bool_as_torch():
    b = np.array([[True, False, True]])
    for args in ((), (1,), (0, True)):
        with pytest.raises(NotImplementedError, match="Bool"):
            torch.nanmedian(torch.tensor(b), *args)
        _raises(NotImplementedError, r"nanmedian: expected a non-bool input, got bool",
                TS.nanmedian, T(b), *args)
    with pytest.raises(NotImplementedError):
        torch.nanmedian(torch.tensor(True))
    _raises(NotImplementedError, "nanmedian: expected a non-bool input", TS.nanmedian, T(True))
    # the other integer dtypes still work
    for dtype in (np.int64, np.uint8):
        close(TS.nanmedian(T(np.array([3, 1, 2], dtype))),
              torch.nanmedian(torch.tensor(np.array([3, 1, 2], dtype))))
