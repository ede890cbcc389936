"""Matrix products (matmul, mm, bmm, dot, linear, einsum, tensordot, inner, outer,
addmm, addmv, baddbmm, trace) against PyTorch: values, gradients, second
derivatives, broadcasting, and error messages."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import ember
from reference import check, lib_of, rand


@pytest.mark.parametrize("sa,sb", [((4,), (4,)), ((4,), (4, 3)), ((2, 4), (4,)), ((2, 4), (4, 3)),
                                   ((5, 2, 4), (4, 3)), ((2, 4), (5, 4, 3)),
                                   ((5, 1, 2, 4), (3, 4, 2)),
                                   ((3, 2, 4), (4,)), ((4,), (2, 4, 3))])
def test_matmul_matches_torch(sa, sb):
    check(lambda a, b: (a @ b) * a.sum(), rand(sa, 0), rand(sb, 1))


def test_mm_bmm_dot_linear_match_torch():
    check(lambda a, b: a.mm(b), rand((2, 3), 0), rand((3, 4), 1))
    check(lambda a, b: lib_of(a).bmm(a, b), rand((5, 2, 3), 0), rand((5, 3, 4), 1))
    check(lambda a, b: a.dot(b) ** 2, rand((3,), 0), rand((3,), 1))
    lin = (ember.nn.functional.linear, torch.nn.functional.linear)
    for sx in [(4,), (2, 4), (3, 2, 4)]:
        check(lambda x, w, b: lin[lib_of(x) is torch](x, w, b) ** 2, rand(sx, 0), rand((5, 4), 1),
              rand((5,), 2))
        check(lambda x, w: lin[lib_of(x) is torch](x, w), rand(sx, 0), rand((5, 4), 1))
    # A transposed x: the forward's reshape copies it, and the weight gradient
    # reuses that copy (but not under create_graph, where it must depend on x).
    check(lambda x, w, b: lin[lib_of(x) is torch](x.transpose(0, 1), w, b) ** 2,
          rand((3, 2, 4), 0), rand((5, 4), 1), rand((5,), 2))


EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ii->i", [(3, 3)]),  # diagonal
    ("ii", [(3, 3)]),  # trace
    ("iij,j->i", [(3, 3, 2), (2,)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("i,i", [(4,), (4,)]),
    ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("a,a,a->a", [(3,), (3,), (3,)]),
    (",i->i", [(), (3,)]),
    ("aB,Ba", [(2, 3), (3, 2)]),
    ("ij,ij->ij", [(1, 3), (4, 3)]),  # a letter of size 1 broadcasts, as in PyTorch
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (5, 3, 4)]),  # broadcast batch dims
    ("...ij,jk", [(2, 2, 3), (3, 4)]),  # implicit output with '...'
    ("i...->...", [(3, 2, 2)]),
    ("...,...->...", [(2, 3), (3,)]),
    ("b i j , b j -> b i", [(2, 3, 4), (2, 4)]),  # spaces are ignored
]


@pytest.mark.parametrize("equation,shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_matches_torch(equation, shapes):
    arrays = [rand(s, seed=i) for i, s in enumerate(shapes)]
    check(lambda *ts: lib_of(ts[0]).einsum(equation, *ts) ** 2, *arrays)
    check(lambda *ts: lib_of(ts[0]).einsum(equation, list(ts)), *arrays, second=False)


def test_einsum_integers_and_empty():
    a, b = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
    check(lambda x, y: lib_of(x).einsum("ij,jk->ik", x, y), a, b)
    check(lambda x, y: lib_of(x).einsum("ij,jk->ik", x, y), np.zeros((2, 0)), np.zeros((0, 3)))


@settings(max_examples=25, deadline=None)
@given(batch=st.lists(st.integers(1, 3), max_size=3), n=st.integers(1, 3), data=st.data())
def test_property_batched_products_broadcast_like_torch(batch, n, data):
    def batch_dims():  # some trailing dims of ``batch``, each kept or 1: always broadcastable
        keep = data.draw(st.integers(0, len(batch)))
        return tuple(data.draw(st.sampled_from([1, s])) for s in batch[len(batch) - keep:])
    a, b = rand(batch_dims() + (2, n), 0), rand(batch_dims() + (n, 3), 1)
    check(lambda x, y: lib_of(x).einsum("...ij,...jk->...ik", x, y) * (x @ y), a, b)


@pytest.mark.parametrize("dims,sa,sb", [
    (0, (2, 3), (4,)), (1, (2, 3), (3, 4)), (2, (2, 3, 4), (3, 4, 5)),
    (([1, 0], [0, 1]), (2, 3, 4), (3, 2)), (([2], [0]), (2, 3, 4), (4, 5)),
    (([1], [1]), (2, 3), (4, 3)),
    (([-1], [-2]), (2, 3), (3, 2))])
def test_tensordot_matches_torch(dims, sa, sb):
    check(lambda a, b: lib_of(a).tensordot(a, b, dims) ** 2, rand(sa, 0), rand(sb, 1))


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (4, 3)), ((2, 1, 3), (3,)), ((), (2, 3)),
                                   ((2, 3), ())])
def test_inner_matches_torch(sa, sb):
    check(lambda a, b: a.inner(b) ** 2, rand(sa, 0), rand(sb, 1))


def test_outer_ger_trace_match_torch():
    check(lambda a, b: a.outer(b) ** 2, rand((3,), 0), rand((4,), 1))
    check(lambda a, b: lib_of(a).ger(a, b), rand((3,), 0), rand((2,), 1))
    check(lambda a, b: a.outer(b), np.arange(3), rand((2,), 1), second=False)  # promotes
    check(lambda a: a.trace() ** 2, rand((3, 3), 0))
    check(lambda a: a.trace(), rand((2, 4), 0))
    assert check(lambda a: a.trace(), np.arange(6).reshape(2, 3)).dtype == ember.int64


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (-1.5, 0.25)])
@pytest.mark.parametrize("input_shape", [(2, 4), (4,), (2, 1), ()])
def test_addmm_matches_torch(beta, alpha, input_shape):
    check(lambda i, a, b: lib_of(i).addmm(i, a, b, beta=beta, alpha=alpha) ** 2,
          rand(input_shape, 0), rand((2, 3), 1), rand((3, 4), 2))


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0)])
def test_addmv_baddbmm_match_torch(beta, alpha):
    check(lambda i, m, v: i.addmv(m, v, beta=beta, alpha=alpha) ** 2,
          rand((2,), 0), rand((2, 3), 1), rand((3,), 2))
    for shape in [(5, 2, 4), (2, 4), (1, 1, 4)]:
        check(lambda i, a, b: i.baddbmm(a, b, beta=beta, alpha=alpha) ** 2,
              rand(shape, 0), rand((5, 2, 3), 1), rand((5, 3, 4), 2))


def test_beta_zero_ignores_input():
    nan_input = np.full((2, 4), np.nan)
    # PyTorch gives input a zero gradient here, ours none: so differentiate the matrices only
    check(lambda i, a, b: lib_of(i).addmm(i, a, b, beta=0, alpha=2.0), nan_input,
          rand((2, 3), 1), rand((3, 4), 2), grad_inputs=[1, 2])
    check(lambda i, a, b: i.baddbmm(a, b, beta=0), np.full((1, 2, 4), np.nan),
          rand((3, 2, 3), 1), rand((3, 3, 4), 2), grad_inputs=[1, 2])


def test_addmm_in_place():
    i, a, b = rand((2, 4), 0), rand((2, 3), 1), rand((3, 4), 2)
    x = ember.tensor(i)
    assert x.addmm_(ember.tensor(a), ember.tensor(b), beta=0.5) is x
    ref = torch.tensor(i).addmm_(torch.tensor(a), torch.tensor(b), beta=0.5)
    np.testing.assert_allclose(x.numpy(), ref.numpy(), rtol=1e-12)


# ---- errors -----------------------------------------------------------------

def test_einsum_errors_name_the_problem():
    t = lambda *s: ember.tensor(rand(s))  # noqa: E731
    cases = [
        (("ij,jk->ik", t(2, 3), t(4, 5)), r"subscript 'j' has size 4 for operand 1 .* size 3"),
        (("ij,jk", t(2, 3)), r"the equation 'ij,jk' names 2 operands, but 1 were given"),
        (("ij", t(2, 3), t(3)), r"the equation 'ij' names 1 operands, but 2 were given"),
        (("ijk", t(2, 3)), r"operand 0 has 2 dimensions \(shape \[2, 3\]\) but its subscripts "
                           r"'ijk' name 3"),
        (("i1", t(2, 3)), r"invalid subscript '1' in operand 0's subscripts 'i1'"),
        (("i->ii", t(2)), r"output subscript 'i' appears more than once"),
        (("i->j", t(2)), r"output subscript 'j' does not appear"),
        (("ii", t(2, 3)), r"subscript 'i' is repeated for operand 0 but the sizes don't match, "
                          r"2 != 3"),
        (("...i,...i", t(2, 3), t(4, 3)), r"a '...' dimension has size 4 for operand 1"),
    ]
    for args, message in cases:
        with pytest.raises(RuntimeError, match=rf"einsum\(\): {message}"):
            ember.einsum(*args)
    with pytest.raises(RuntimeError, match=r"einsum\(\): expected operands of one dtype, got "
                                           r"ember.float64, ember.int64"):
        ember.einsum("i,i", t(2), ember.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"einsum: expected operand 1 to be a Tensor, got list"):
        ember.einsum("i,i", t(2), [1.0, 2.0])
    with pytest.raises(TypeError, match=r"einsum\(\): expected the equation as a string"):
        ember.einsum(t(2), "i")


def test_product_errors_name_op_and_shapes():
    t = lambda *s: ember.tensor(rand(s))  # noqa: E731
    cases = [
        (lambda: ember.tensordot(t(2, 3), t(4, 5), 1), RuntimeError,
         r"tensordot\(\): contracted dimensions need to match, but a has size 3 in dim 1 and b "
         r"has size 4 in dim 0"),
        (lambda: ember.tensordot(t(2, 3), t(3), 3), RuntimeError,
         r"tensordot\(\): expected 0 <= dims <= 1"),
        (lambda: ember.tensordot(t(2, 3), t(3, 2), ([0, 1], [0])), RuntimeError,
         r"tensordot\(\): both dim lists need the same length"),
        (lambda: ember.tensordot(t(2, 3), t(3, 2), ([2], [0])), IndexError,
         r"tensordot.*range of \[-2, 1\].*got 2"),
        (lambda: ember.inner(t(2, 3), t(2)), RuntimeError,
         r"inner\(\): expected the last dims to match, got shapes \[2, 3\] and \[2\]"),
        (lambda: ember.outer(t(2, 3), t(2)), RuntimeError,
         r"outer\(\): expected 1-D tensors, got shapes \[2, 3\] and \[2\]"),
        (lambda: ember.addmm(t(2, 4), t(2, 3), t(4, 4)), RuntimeError,
         r"addmm\(\): expected 2-D mat1 \(n, m\) and mat2 \(m, p\), got shapes \[2, 3\] and "
         r"\[4, 4\]"),
        (lambda: ember.addmm(t(3, 4), t(2, 3), t(3, 4)), RuntimeError,
         r"addmm.*\[3, 4\].*\[2, 4\]"),
        (lambda: ember.addmv(t(2), t(2, 3), t(2)), RuntimeError,
         r"addmv\(\): expected a 2-D mat \(n, m\) and a 1-D vec \(m,\), got shapes \[2, 3\] "
         r"and \[2\]"),
        (lambda: ember.baddbmm(t(2, 2, 4), t(2, 2, 3), t(3, 3, 4)), RuntimeError,
         r"baddbmm\(\): expected 3-D batch1 \(b, n, m\) and batch2 \(b, m, p\), got shapes "
         r"\[2, 2, 3\] and \[3, 3, 4\]"),
        (lambda: ember.trace(t(2, 2, 2)), RuntimeError,
         r"trace\(\): expected a 2-D tensor, got shape \[2, 2, 2\]"),
        (lambda: ember.matmul(t(2, 3), t(4, 5)), RuntimeError,
         r"matmul: expected input.shape\[-1\] == other.shape\[-2\], got \[2, 3\] and \[4, 5\]"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()
