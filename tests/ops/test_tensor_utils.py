"""diff, tril/triu_indices, unravel_index, cartesian_prod, combinations, block_diag, vander,
mv, addr, addbmm, vdot, renorm, trapezoid/trapz/cumulative_trapezoid and the
diagonal/select/slice scatters against PyTorch: values, dtypes, shapes, gradients, second
derivatives, edge cases, in-place variants and errors."""

import inspect

import numpy as np
import pytest
import torch

import ember
from ember.ops import tensor_utils as TU
from ember.ops.inplace import inplace
from reference import check, close, rand, same, twin_fn

X = rand((3, 4))


def fn(name):
    """``TU.<name>`` on Ember tensors, ``torch.<name>`` on torch tensors."""
    return twin_fn(TU, name)


def tensors_of(x):
    return torch if isinstance(x, torch.Tensor) else ember


diff, mv, addr, addbmm, vdot, renorm = (fn(n) for n in ("diff", "mv", "addr", "addbmm", "vdot",
                                                         "renorm"))
cartesian_prod, combinations, block_diag, vander = (fn(n) for n in (
    "cartesian_prod", "combinations", "block_diag", "vander"))
trapezoid, trapz, cumulative_trapezoid = fn("trapezoid"), fn("trapz"), fn("cumulative_trapezoid")
diagonal_scatter, select_scatter, slice_scatter = (fn(n) for n in (
    "diagonal_scatter", "select_scatter", "slice_scatter"))


# ---- diff -----------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 2, 3, 6])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_diff_matches_torch(n, dim):
    check(lambda x: diff(x, n, dim), rand((4, 5), seed=n))
    check(lambda x: diff(x, n=n, dim=dim), rand((3, 4, 5), seed=n))


def test_diff_prepend_append():
    check(lambda x, p, a: diff(x, 1, 1, p, a), X, rand((3, 2), 1), rand((3, 1), 2))
    check(lambda x, p: diff(x, 2, 0, prepend=p), X, rand((2, 4), 3))
    check(lambda x, a: diff(x, 3, append=a), rand(4), rand(2, 4))
    same(lambda x, p: diff(x, prepend=p), np.array([1.0, 5, 2]), np.array([0]))  # promoted
    same(lambda x, p: diff(x, n=0, prepend=p), np.array([1.0, 5, 2]), np.array([0.0]))


def test_diff_dtypes():
    same(lambda x: diff(x), np.array([True, False, False, True]))
    same(lambda x: diff(x, 2), np.array([1, 5, 2, -3], np.int8))
    same(lambda x: diff(x), np.array([[1, 5, 2]]))
    same(lambda x: diff(x, dim=0), np.zeros((0, 3)))
    same(lambda x: diff(x), rand(5).astype(np.float32))


# ---- index builders -------------------------------------------------------------

@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_tri_indices_match_torch(name):
    ours, ref = getattr(TU, name), getattr(torch, name)
    for args in ((3, 4), (3, 4, 1), (3, 4, -1), (4, 3, 2), (3, 4, -5), (3, 4, 9), (0, 4),
                 (4, 0), (1, 1), (5, 5, -2)):
        a, b = ours(*args), ref(*args)
        close(a, b)
        assert a.dtype == ember.int64 and a.shape == tuple(b.shape)
    a = ours(3, 3, dtype=ember.int32)
    close(a, ref(3, 3, dtype=torch.int32))
    assert a.dtype == ember.int32
    assert ours(2, 2, device="cpu").device == ember.device("cpu")


def test_unravel_index_matches_torch():
    for idx, shape in (([4, 1, 7], (2, 4)), ([[3, 1], [0, 23]], (2, 3, 4)), (5, (2, 4)),
                       ([5], 8), ([-1, -9], (2, 4)), ([8, 100], (2, 4)), ([0], ())):
        ours = TU.unravel_index(ember.tensor(idx), shape)
        ref = torch.unravel_index(torch.tensor(idx), shape)
        assert isinstance(ours, tuple) and len(ours) == len(ref)
        for a, b in zip(ours, ref):
            close(a, b)
            assert a.dtype == ember.int64
    ours = TU.unravel_index(ember.tensor([3], dtype=ember.int32), [2, 4])
    assert [t.dtype for t in ours] == [ember.int64] * 2 and [t.tolist() for t in ours] == [[0],
                                                                                           [3]]


# ---- combinatorics --------------------------------------------------------------

def test_cartesian_prod_matches_torch():
    check(lambda a, b: cartesian_prod(a, b), rand(2), rand(3, 1))
    check(lambda a, b, c: cartesian_prod(a, b, c), rand(2), rand(3, 1), rand(1, 2))
    same(lambda a, b: cartesian_prod(a, b), np.array([1, 2]), np.array([3, 4]))
    same(lambda a, b: cartesian_prod(a, b), rand(2), np.zeros(0))
    x = ember.tensor([1.0, 2.0])
    assert TU.cartesian_prod(x) is x


@pytest.mark.parametrize("r", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("with_replacement", [False, True])
def test_combinations_match_torch(r, with_replacement):
    check(lambda x: combinations(x, r, with_replacement), rand(4, seed=r))
    same(lambda x: combinations(x, r=r, with_replacement=with_replacement), np.array([1, 2, 3]))
    same(lambda x: combinations(x, r, with_replacement), np.zeros(0))


def test_block_diag_matches_torch():
    check(lambda a, b, c: block_diag(a, b, c), rand((2, 3)), np.array(2.0), rand(2, 1))
    check(lambda a, b: block_diag(a, b), rand((1, 1)), rand((3, 2), 2))
    check(lambda a: block_diag(a), rand((2, 2)))
    same(lambda a, b: block_diag(a, b), np.ones((0, 2)), np.ones((2, 0)))
    same(lambda a, b: block_diag(a, b), np.array([[1]]), np.array([[2]]))
    same(lambda a, b: block_diag(a, b), np.array([[True]]), np.array([[1]]))
    same(lambda a, b: block_diag(a, b), np.array([[1.0]], np.float32), np.array([[1.0]]))
    same(lambda a: block_diag(a), np.zeros(0))
    close(TU.block_diag(), torch.block_diag())


def _powers(x, N, increasing):
    """PyTorch's reference for vander's gradients: its own vander backward fails (an
    in-place copy in its forward), so the columns are built from powers."""
    if N <= 1:  # no copy there: PyTorch's vander itself
        return torch.vander(x, N, increasing)
    cols = [x ** k if k else torch.ones_like(x) for k in range(N)]
    return torch.stack(cols[::1 if increasing else -1], 1)


@pytest.mark.parametrize("N", [None, 0, 1, 2, 4])
@pytest.mark.parametrize("increasing", [False, True])
def test_vander_matches_torch(N, increasing):
    for a in (np.array([0.0, 1.5, -2.0]), rand(4, seed=3)):
        close(TU.vander(ember.tensor(a), N, increasing), torch.vander(torch.tensor(a), N,
                                                                      increasing))
        n = len(a) if N is None else N
        check(lambda x: TU.vander(x, N, increasing) if isinstance(x, ember.Tensor) else
              _powers(x, n, increasing), a)
    same(lambda x: vander(x, N, increasing), np.array([1, 2, 3]))
    same(lambda x: vander(x, N), np.array([1, 2], np.int8))
    same(lambda x: vander(x, N), np.array([True, False]))
    same(lambda x: vander(x, N=N), np.zeros(0))


# ---- products -------------------------------------------------------------------

def test_mv_matches_torch():
    check(lambda a, v: mv(a, v), X, rand(4, 1))
    check(lambda a, v: mv(a, v), np.zeros((0, 3)), rand(3))
    same(lambda a, v: mv(a, v), np.ones((2, 3), np.int64), np.arange(3))


@pytest.mark.parametrize("beta,alpha", [(1, 1), (2, 0.5), (0, 3), (-1.5, 0)])
def test_addr_matches_torch(beta, alpha):
    # with beta=0 Ember's input gets no gradient (None; PyTorch: zeros), as in addmm
    grads = [1, 2] if beta == 0 else None
    check(lambda i, a, b: addr(i, a, b, beta=beta, alpha=alpha), rand((3, 4)), rand(3, 1),
          rand(4, 2), grad_inputs=grads)
    check(lambda i, a, b: addr(i, a, b, beta=beta, alpha=alpha), rand(4), rand(3, 1), rand(4, 2),
          grad_inputs=grads)


def test_addr_dtypes():
    same(lambda i, a, b: addr(i, a, b), np.ones((2, 3), np.int64), np.array([1, 2]),
         np.array([1, 2, 3]))
    same(lambda i, a, b: addr(i, a, b, beta=2, alpha=3), np.ones((2, 3), np.int64),
         np.array([1, 2]), np.array([1, 2, 3]))
    same(lambda i, a, b: addr(i, a, b), np.ones((2, 3), np.int64), np.array([1.0, 2]),
         np.array([1.0, 2, 3]))
    same(lambda i, a, b: addr(i, a, b), np.ones((2, 3), np.float32), np.array([1.0, 2]),
         np.array([1.0, 2, 3]))
    same(lambda i, a, b: addr(i, a, b), np.array([[True, False, False], [False, False, True]]),
         np.array([True, False]), np.array([False, True, False]))
    same(lambda i, a, b: addr(i, a, b, beta=0), np.full((2, 3), np.nan), np.array([1.0, 2]),
         np.array([1.0, 2, 3]))


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, -2)])
def test_addbmm_matches_torch(beta, alpha):
    check(lambda i, a, b: addbmm(i, a, b, beta=beta, alpha=alpha), rand((2, 4)),
          rand((3, 2, 5), 1), rand((3, 5, 4), 2))
    check(lambda i, a, b: addbmm(i, a, b, beta=beta, alpha=alpha), rand(4), rand((1, 2, 5), 1),
          rand((1, 5, 4), 2))
    check(lambda i, a, b: addbmm(i, a, b, beta=beta, alpha=alpha), rand((2, 4)),
          np.zeros((0, 2, 5)), np.zeros((0, 5, 4)))
    same(lambda i, a, b: addbmm(i, a, b, beta=2), np.ones((2, 3), np.int64),
         np.ones((4, 2, 5), np.int64), np.ones((4, 5, 3), np.int64))


def test_vdot_matches_torch():
    check(lambda a, b: vdot(a, b), rand(5), rand(5, 1))
    check(lambda a, b: vdot(a, b), np.zeros(0), np.zeros(0))
    same(lambda a, b: vdot(a, b), np.array([1, 2]), np.array([3, 4]))


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, float("inf")])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_renorm_matches_torch(p, dim):
    a = np.array([[1.0, 2, 3, -1], [0.1, -0.2, 0.1, 0.05], [0.3, 0.2, -0.4, 0.1]])
    check(lambda x: renorm(x, p, dim, 1.0), a)
    # zeros: PyTorch's second derivatives of the norm there are NaN (Ember's: 0)
    check(lambda x: renorm(x, p, dim, 1.0), np.array([[1.0, 2, 0, -1], [0, 0, 0, 0]]),
          second=False)
    check(lambda x: renorm(x, p, dim, 0.7), rand((2, 3, 4), seed=5))
    check(lambda x: renorm(x, p, dim, 0), rand((2, 3), seed=6))
    same(lambda x: renorm(x, p, dim, 1), rand((3, 2), seed=7).astype(np.float32))
    same(lambda x: renorm(x, p, 0, 1.0), np.zeros((0, 3)))


# ---- trapezoid rule -------------------------------------------------------------

@pytest.mark.parametrize("op", [trapezoid, trapz, cumulative_trapezoid])
def test_trapezoid_with_spacing(op):
    check(lambda y: op(y), X)
    check(lambda y: op(y, dx=0.5, dim=0), X)
    check(lambda y: op(y, dx=2, dim=-2), rand((2, 3, 4), 1))
    check(lambda y: op(y), rand(1))
    same(lambda y: op(y), np.array([1, 2, 4]))
    same(lambda y: op(y, dx=2), np.array([1, 2, 4]))
    same(lambda y: op(y), np.zeros((2, 0)))
    same(lambda y: op(y, dim=0), np.zeros((0, 2), np.int64))


@pytest.mark.parametrize("op", [trapezoid, trapz, cumulative_trapezoid])
def test_trapezoid_with_sample_points(op):
    check(lambda y, x: op(y, x), X, np.array([0.0, 1, 3, 4.5]))
    check(lambda y, x: op(y, x, dim=0), X, np.array([0.0, 1, 3]))
    check(lambda y, x: op(y, x), rand((2, 3, 4), 1), rand((3, 4), 2))  # x broadcast
    check(lambda y, x: op(y, x, dim=1), rand((2, 3, 4), 1), rand((2, 3, 4), 2))
    check(lambda y, x: op(y, x), rand((2, 3), 1), rand((2, 2), 2))  # spacings broadcast
    same(lambda y, x: op(y, x), np.array([1, 2, 4]), np.array([1, 2, 3]))
    same(lambda y, x: op(y, x), rand(3).astype(np.float32), np.array([1.0, 2, 4]))


# ---- scatters -------------------------------------------------------------------

@pytest.mark.parametrize("offset,dim1,dim2", [(0, 0, 1), (1, 0, 1), (-2, 0, 1), (0, 1, 0),
                                              (2, -1, 0)])
def test_diagonal_scatter_matches_torch(offset, dim1, dim2):
    size = np.diagonal(X, offset, dim1, dim2).shape
    check(lambda x, s: diagonal_scatter(x, s, offset, dim1, dim2), X, rand(size, 1))
    shape = (2, 3, 4)
    size = np.diagonal(np.zeros(shape), offset, dim1 + 1, dim2 + 1).shape
    check(lambda x, s: diagonal_scatter(x, s, offset, dim1 + 1, dim2 + 1), rand(shape, 2),
          rand(size, 3))


@pytest.mark.parametrize("dim,index", [(0, 0), (0, -1), (1, 2), (-1, -4)])
def test_select_scatter_matches_torch(dim, index):
    check(lambda x, s: select_scatter(x, s, dim, index), X, rand(X.shape[1 - dim % 2], 1))
    check(lambda x, s: select_scatter(x, s, 0, 1), rand(3), np.array(5.0))


@pytest.mark.parametrize("dim,start,end,step", [(0, None, None, 1), (1, 1, 3, 1),
                                                (1, None, None, 2), (1, -2, None, 1),
                                                (-1, 2, 100, 1), (0, 3, 1, 1), (1, -100, 3, 2)])
def test_slice_scatter_matches_torch(dim, start, end, step):
    region = [slice(None)] * 2
    region[dim] = slice(start, end, step)
    size = X[tuple(region)].shape
    check(lambda x, s: slice_scatter(x, s, dim, start, end, step), X, rand(size, 1))


def test_scatters_cast_src_to_the_input_dtype():
    z = np.zeros((3, 4))
    same(lambda x, s: diagonal_scatter(x, s), z.astype(np.float32), np.array([1, 2, 3]))
    same(lambda x, s: diagonal_scatter(x, s), z.astype(np.float32), np.array([1.0, 2, 3]))
    same(lambda x, s: select_scatter(x, s, 0, 0), z, np.array([1, 2, 3, 4]))
    same(lambda x, s: slice_scatter(x, s, 1, 2), z.astype(np.float32), np.ones((3, 2)))
    check(lambda x, s: select_scatter(x, s.float(), 0, 0) if isinstance(x, torch.Tensor)
          else select_scatter(x, s.to(ember.float32), 0, 0), X, rand(4, 1))


# ---- in-place variants, methods, errors -----------------------------------------

@pytest.mark.parametrize("name,args", [("renorm", (2, 0, 1.0)),
                                       ("addr", ("v1", "v2")),
                                       ("addbmm", ("b1", "b2"))])
def test_inplace_variants_match_torch(name, args):
    extra = {"v1": rand(3, 1), "v2": rand(4, 2), "b1": rand((2, 3, 5), 3),
             "b2": rand((2, 5, 4), 4)}
    ours_args = [ember.tensor(extra[a]) if isinstance(a, str) else a for a in args]
    ref_args = [torch.tensor(extra[a]) if isinstance(a, str) else a for a in args]
    x, t = ember.tensor(X * 2), torch.tensor(X * 2)
    out = inplace(x, getattr(TU, name), name + "_", *ours_args)
    assert out is x
    getattr(t, name + "_")(*ref_args)
    close(x, t)


def test_declared_names_match_torch():
    for name in TU.__all__:
        f = getattr(TU, name)
        assert f.__doc__, f"{name} has no docstring"
        assert hasattr(torch, name), name
    for name in TU.__methods__:
        assert hasattr(torch.Tensor, name), name
        first = next(iter(inspect.signature(getattr(TU, name)).parameters))
        assert first == "input", name
    for name in TU.__inplace__:
        assert hasattr(torch.Tensor, name + "_"), name
    assert set(TU.__methods__) == {n for n in TU.__all__ if hasattr(torch.Tensor, n)}
    assert set(TU.__inplace__) == {n for n in TU.__all__ if hasattr(torch.Tensor, n + "_")}


def _raises(exc, match, f, *args, **kwargs):
    with pytest.raises(exc, match=match):
        f(*args, **kwargs)


T = ember.tensor


def test_errors_diff():
    x = ember.ones(2, 3)
    _raises(RuntimeError, r"diff: expected input to be at least one-dimensional", TU.diff,
            T(1.0))
    _raises(RuntimeError, r"diff: order must be non-negative but got -1", TU.diff, x, -1)
    _raises(TypeError, r"diff: expected n to be an int, got float", TU.diff, x, 1.0)
    _raises(IndexError, r"diff: dimension out of range", TU.diff, x, 1, 2)
    _raises(RuntimeError, r"diff: expected prepend to have the same number of dimensions as "
            r"input \(2\), got shape \[3\]", TU.diff, x, prepend=ember.ones(3))
    _raises(RuntimeError, r"diff: expected the shape of append to match that of input except "
            r"along dim 1; input.size\(0\) = 2, but append.size\(0\) = 3", TU.diff, x,
            append=ember.ones(3, 3))
    _raises(TypeError, r"diff: expected prepend to be a Tensor, got float", TU.diff, x,
            prepend=1.0)


def test_errors_index_builders():
    _raises(RuntimeError, r"tril_indices: row must be non-negative, got -1", TU.tril_indices,
            -1, 4)
    _raises(RuntimeError, r"triu_indices: col must be non-negative, got -4", TU.triu_indices,
            3, -4)
    _raises(TypeError, r"tril_indices: expected row to be an int, got float", TU.tril_indices,
            3.0, 4)
    _raises(RuntimeError, r"triu_indices: expected an integer dtype, got .*float32",
            TU.triu_indices, 3, 3, dtype=ember.float32)
    _raises(TypeError, r"unravel_index: expected 'indices' to be integer dtype, but got "
            r".*float32", TU.unravel_index, T([1.0]), (2, 4))
    _raises(TypeError, r"unravel_index: expected 'indices' to be integer dtype, but got .*bool",
            TU.unravel_index, T([True]), (2, 4))
    _raises(TypeError, r"unravel_index: expected indices to be a Tensor, got int",
            TU.unravel_index, 5, (2, 4))
    _raises(ValueError, r"unravel_index: 'shape' cannot have negative values, but got "
            r"\(2, -4\)", TU.unravel_index, T([1]), (2, -4))
    _raises(TypeError, r"unravel_index: expected 'shape' to be an int or a sequence of ints",
            TU.unravel_index, T([1]), (2, 1.5))
    _raises(RuntimeError, r"unravel_index: cannot unravel into shape \(2, 0\)",
            TU.unravel_index, T([0]), (2, 0))


def test_errors_combinatorics():
    a = T([1.0, 2.0])
    _raises(RuntimeError, r"cartesian_prod: expected at least one tensor", TU.cartesian_prod)
    _raises(RuntimeError, r"cartesian_prod: expected 1-D tensors, got shape \[2, 2\] for "
            r"tensor 1", TU.cartesian_prod, a, ember.ones(2, 2))
    _raises(RuntimeError, r"cartesian_prod: expected 1-D tensors, got shape \[\]",
            TU.cartesian_prod, T(1.0))
    _raises(RuntimeError, r"cartesian_prod: expected all tensors to have the same dtype, got "
            r".*float32 and .*int64", TU.cartesian_prod, a, T([1]))
    _raises(RuntimeError, r"combinations: expected a 1-D tensor, got shape \[2, 2\]",
            TU.combinations, ember.ones(2, 2))
    _raises(RuntimeError, r"combinations: expected a non-negative r, got -1", TU.combinations,
            a, -1)
    _raises(TypeError, r"combinations: expected r to be an int, got float", TU.combinations,
            a, 2.0)
    _raises(RuntimeError, r"block_diag: input tensors must have 2 or fewer dimensions. Input 1 "
            r"has 3 dimensions", TU.block_diag, a, ember.ones(1, 1, 1))
    _raises(TypeError, r"block_diag: expected a Tensor as element 0, got list", TU.block_diag,
            [1])
    _raises(RuntimeError, r"vander: x must be a one-dimensional tensor, got shape \[2, 2\]",
            TU.vander, ember.ones(2, 2))
    _raises(RuntimeError, r"vander: N must be non-negative, got -1", TU.vander, a, -1)


def test_errors_products():
    m, v = ember.ones(2, 3), ember.ones(3)
    _raises(RuntimeError, r"mv: expected a 2-D input and a 1-D vec, got shapes \[3\] and \[3\]",
            TU.mv, v, v)
    _raises(RuntimeError, r"mv: size mismatch, got input \[2, 3\] and vec \[2\]", TU.mv, m,
            ember.ones(2))
    _raises(RuntimeError, r"mv: expected input and vec to have the same dtype, got .*float32 "
            r"and .*float64", TU.mv, m, ember.ones(3, dtype=ember.float64))
    _raises(RuntimeError, r"addr: expected 1-D argument vec1, but got 2-D", TU.addr, m,
            ember.ones(1, 2), v)
    _raises(RuntimeError, r"addr: expected 1-D argument vec2, but got 2-D", TU.addr, m,
            ember.ones(2), ember.ones(1, 3))
    _raises(RuntimeError, r"addr: shapes \[3, 2\] and \[2, 3\] cannot be broadcast",
            TU.addr, ember.ones(3, 2), ember.ones(2), v)
    _raises(RuntimeError, r"addr: for integral input tensors, argument beta must not be a "
            r"floating point number", TU.addr, T([[1]]), T([1]), T([1]), beta=0.5)
    _raises(RuntimeError, r"addbmm: for integral input tensors, argument alpha must not be a "
            r"floating point number", TU.addbmm, T([[1]]), T([[[1]]]), T([[[1]]]), alpha=0.5)
    b1 = ember.ones(4, 2, 5)
    _raises(RuntimeError, r"addbmm: expected 3-D batch1 and batch2, got shapes \[2, 5\]",
            TU.addbmm, m, ember.ones(2, 5), ember.ones(4, 5, 3))
    _raises(RuntimeError, r"addbmm: batch1 and batch2 must have the same number of batches, "
            r"got 4 and 3", TU.addbmm, m, b1, ember.ones(3, 5, 3))
    _raises(RuntimeError, r"addbmm: incompatible matrix sizes for bmm \(2x5 and 4x3\)",
            TU.addbmm, m, b1, ember.ones(4, 4, 3))
    _raises(RuntimeError, r"addbmm: expected batch1 and batch2 to have the same dtype",
            TU.addbmm, m, b1, ember.ones(4, 5, 3, dtype=ember.float64))
    _raises(RuntimeError, r"addbmm\(\): input of shape \[2, 2, 3\] does not broadcast to the "
            r"product's shape \[2, 3\]", TU.addbmm, ember.ones(2, 2, 3), b1, ember.ones(4, 5, 3))
    _raises(RuntimeError, r"vdot: 1D tensors expected, but got 2D and 1D tensors", TU.vdot,
            m, v)
    _raises(RuntimeError, r"vdot: expected both vectors to have same dtype, but found "
            r".*float32 and .*float64", TU.vdot, v, ember.ones(3, dtype=ember.float64))
    _raises(RuntimeError, r"vdot: inconsistent tensor size, .* got 3 and 2", TU.vdot, v,
            ember.ones(2))
    _raises(RuntimeError, r"vdot: not implemented for bool", TU.vdot, T([True]), T([True]))


def test_errors_renorm():
    x = ember.ones(2, 3)
    _raises(RuntimeError, r"renorm: input needs at least 2 dimensions, got 1 dimensions",
            TU.renorm, ember.ones(3), 2, 0, 1.0)
    _raises(RuntimeError, r"renorm: non-positive-norm not supported, got p=0", TU.renorm, x,
            0, 0, 1.0)
    _raises(RuntimeError, r"renorm: expected maxnorm to be >= 0 but got -1", TU.renorm, x, 2, 0,
            -1)
    _raises(RuntimeError, r"renorm: expected a floating point input, got .*int64", TU.renorm,
            T([[1, 2]]), 2, 0, 1)
    _raises(IndexError, r"renorm: dimension out of range", TU.renorm, x, 2, 2, 1.0)
    _raises(TypeError, r"renorm: expected p to be a number, got str", TU.renorm, x, "fro", 0, 1)


def test_errors_trapezoid():
    y = ember.ones(2, 3)
    for op in ("trapezoid", "trapz", "cumulative_trapezoid"):
        f = getattr(TU, op)
        _raises(RuntimeError, op + r": there must be one `x` value for each sample point", f,
                y, T([1.0, 2.0]))
        _raises(RuntimeError, op + r": received a bool input for `x` or `y`", f, T([True]))
        _raises(RuntimeError, op + r": currently, we only support dx as a real number", f, y,
                dx=True)
        _raises(TypeError, op + r": pass either x \(sample points\) or dx", f, y, T([1.0] * 3),
                dx=1.0)
        _raises(TypeError, op + r": expected x to be a Tensor of sample points, got float", f,
                y, 2.0)
        _raises(IndexError, op + r": expected y to have at least one dimension", f, T(1.0))
        _raises(RuntimeError, op + r": shapes \[2, 2\] and \[1, 0\] cannot be broadcast", f, y,
                T(1.0))
        _raises(RuntimeError, op + r": expected x to have at most as many dimensions as y", f,
                y, ember.ones(1, 2, 3))


def test_errors_scatters():
    x = ember.zeros(3, 4)
    _raises(RuntimeError, r"diagonal_scatter: expected src to have a size equal to the slice of "
            r"self. src size = \[2\], slice size = \[3\]", TU.diagonal_scatter, x, ember.ones(2))
    _raises(RuntimeError, r"diagonal_scatter: diagonal dimensions cannot be identical, got 1 "
            r"and -1", TU.diagonal_scatter, x, ember.ones(3), 0, 1, -1)
    _raises(RuntimeError, r"select_scatter: expected src to have a size equal to the slice of "
            r"self. src size = \[1\], slice size = \[4\]", TU.select_scatter, x, ember.ones(1),
            0, 0)
    _raises(IndexError, r"select_scatter: index 3 out of range for tensor of size \[3, 4\] at "
            r"dimension 0", TU.select_scatter, x, ember.ones(4), 0, 3)
    _raises(IndexError, r"select_scatter: select\(\) cannot be applied to a 0-dim tensor",
            TU.select_scatter, T(1.0), T(2.0), 0, 0)
    _raises(RuntimeError, r"slice_scatter: slice step must be positive, got 0",
            TU.slice_scatter, x, ember.ones(3, 0), 1, step=0)
    _raises(RuntimeError, r"slice_scatter: expected src to have a size equal to the slice of "
            r"self. src size = \[3, 3\], slice size = \[3, 2\]", TU.slice_scatter, x,
            ember.ones(3, 3), 1, 2)
    _raises(IndexError, r"slice_scatter: slice\(\) cannot be applied to a 0-dim tensor",
            TU.slice_scatter, T(1.0), T(2.0))
    _raises(TypeError, r"slice_scatter: expected start to be an int, got float",
            TU.slice_scatter, x, x, 0, 0.5)
    _raises(TypeError, r"diagonal_scatter: expected src to be a Tensor, got list",
            TU.diagonal_scatter, x, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("di,db", [("float32", "float64"), ("float64", "float32"),
                                   ("int32", "int64"), ("float32", "int64"),
                                   ("int64", "float32"), ("float16", "float32")])
def test_addbmm_needs_the_input_dtype_of_the_batches_as_torch(di, db):
    # torch: "self and mat2 must have the same dtype" whatever beta; no promotion
    def args(lib):
        return (lib.zeros(2, 3, dtype=getattr(lib, di)), lib.ones(2, 2, 4, dtype=getattr(lib, db)),
                lib.ones(2, 4, 3, dtype=getattr(lib, db)))
    for beta in (1, 0):
        with pytest.raises(RuntimeError, match="same dtype"):
            torch.addbmm(*args(torch), beta=beta)
        _raises(RuntimeError, r"addbmm: expected input of the dtype of batch1 and batch2 "
                r"\(.*" + db + r"\), got .*" + di, TU.addbmm, *args(ember), beta=beta)
    with pytest.raises(RuntimeError, match="same dtype"):
        args(torch)[0].addbmm_(*args(torch)[1:])
    x = args(ember)[0]
    _raises(RuntimeError, "addbmm: expected input of the dtype", x.addbmm_, *args(ember)[1:])
    # a 0-d input broadcasts but must match too
    with pytest.raises(RuntimeError, match="same dtype"):
        torch.addbmm(torch.zeros((), dtype=getattr(torch, di)), *args(torch)[1:])
    _raises(RuntimeError, "addbmm: expected input of the dtype", TU.addbmm,
            ember.zeros((), dtype=getattr(ember, di)), *args(ember)[1:])


def test_addbmm_same_dtypes_match_torch_and_bool_is_refused():
    for dtype in ("int64", "int32", "float32"):
        same(lambda i, a, b: addbmm(i, a, b), np.ones((2, 3)).astype(dtype),
             np.ones((4, 2, 5)).astype(dtype), np.ones((4, 5, 3)).astype(dtype))
    b = np.ones((1, 2, 2), bool)
    with pytest.raises(NotImplementedError):
        torch.addbmm(torch.tensor(b[0]), torch.tensor(b), torch.tensor(b))
    _raises(NotImplementedError, r"addbmm: expected a non-bool dtype, got bool", TU.addbmm,
            T(b[0]), T(b), T(b))
