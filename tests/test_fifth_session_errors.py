"""Error messages of the sparse, func, multiprocessing, window and sampling additions."""

import os

import pytest

import ember
import ember.func as ef
import ember.multiprocessing as mp


def _exit_three(rank):
    os._exit(3)


def sparse():
    return ember.sparse_coo_tensor([[0, 2]], [[1.0], [2.0]], (3, 1))


@pytest.mark.parametrize("call,error,message", [
    (lambda: sparse().requires_grad_(), RuntimeError, "sparse tensors cannot require grad"),
    (lambda: ember.sparse_coo_tensor([[0]], [[1.0]], (1, 1), requires_grad=True),
     NotImplementedError, "requires_grad=True is not supported"),
    (lambda: ember.sparse_coo_tensor([0, 1], [1.0, 2.0]), RuntimeError,
     "indices must be an \\(sparse_dim, nnz\\) integer tensor"),
    (lambda: sparse() * ember.ones(2), RuntimeError,
     "multiplies only by a number or a one-element tensor, got shape \\(2,\\)"),
    (lambda: sparse().mul("x"), TypeError, "mul: expected a number, got str"),
    (lambda: sparse().add(ember.sparse_coo_tensor([[0]], [[1.0]], (2, 1))), RuntimeError,
     "expected sparse tensors of the same size, got \\[3, 1\\] and \\[2, 1\\]"),
    (lambda: ember.ones(2, 1) + sparse(), RuntimeError,
     "expected a dense tensor of size \\[3, 1\\] for this sparse tensor, got \\[2, 1\\]"),
    (lambda: ember.ones(3, 1, requires_grad=True) + sparse(), NotImplementedError,
     "a sparse tensor added to a tensor that requires grad is not differentiable"),
])
def test_sparse_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def _sparse_grad_param():
    e = ember.nn.Embedding(4, 2, sparse=True)
    e(ember.tensor([0, 1])).sum().backward()
    return e


@pytest.mark.parametrize("make,message", [
    (lambda ps: ember.optim.SparseAdam(ps, eps=0.0), "Invalid epsilon value: 0.0"),
    (lambda ps: ember.optim.SGD(ps, lr=0.1, weight_decay=0.1),
     "add\\(sparse, dense\\) is not supported"),
    (lambda ps: ember.optim.Adagrad(ps, weight_decay=0.1),
     "weight_decay option is not compatible with sparse gradients"),
])
def test_sparse_optimizer_errors(make, message):
    e = _sparse_grad_param()
    with pytest.raises((RuntimeError, ValueError), match=message):
        make(e.parameters()).step()


def test_sparse_adam_refuses_dense_gradients():
    w = ember.nn.Parameter(ember.ones(2))
    (w * 2).sum().backward()
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients, please "
                                           "consider Adam instead"):
        ember.optim.SparseAdam([w]).step()


X = ember.tensor([1.0, 2.0])


@pytest.mark.parametrize("call,error,message", [
    (lambda: ef.grad(lambda x: x.sum(), argnums="0")(X), RuntimeError,
     "argnums must be int or Tuple\\[int, ...\\], got: <class 'str'>"),
    (lambda: ef.grad(lambda x: x.sum(), argnums=())(X), RuntimeError, "argnums must be non-empty"),
    (lambda: ef.grad(lambda x: x.sum(), has_aux=True)(X), RuntimeError,
     "output of function f should be a tuple: \\(output, aux\\) if has_aux is True"),
    (lambda: ef.grad(lambda x: 3.0)(X), RuntimeError,
     "Expected f\\(\\*args\\) to return a Tensor, got <class 'float'>"),
    (lambda: ef.grad(lambda x: x.sum())(ember.tensor([1, 2])), RuntimeError,
     "only Tensors of floating point dtype can require gradients"),
    (lambda: ef.vjp(lambda x: x * 2, X)[1]((X, X)), RuntimeError,
     "got 2 cotangents for 1 outputs"),
    (lambda: ef.vjp(lambda x: x * 2, X)[1](ember.ones(3)), RuntimeError,
     "Mismatch in shape: cotangent has shape \\(3,\\) and output has shape \\(2,\\)"),
    (lambda: ef.vjp(lambda x: (x, 3), X), RuntimeError,
     "Expected f to be a function that has non-empty output Tensors, got <class 'int'>"),
    (lambda: ef.vjp(lambda x: x, X, has_aux=True), RuntimeError,
     "output of function f should be a tuple: \\(output, aux\\) if has_aux is True"),
    (lambda: ef.jvp(lambda x: x, X, X), RuntimeError,
     "Expected primals and tangents to be tuples"),
    (lambda: ef.jvp(lambda x: x, (X,), (X, X)), RuntimeError,
     "Expected primals and tangents to have the same python structure"),
    (lambda: ef.jvp(lambda x: x, (X,), (ember.ones(3),)), RuntimeError,
     "Expected primals and tangents to have the same shape, got \\(2,\\) and \\(3,\\)"),
    (lambda: ef.jacrev(lambda x: x, chunk_size=0), ValueError,
     "`chunk_size` should be greater than 0, got 0"),
    (lambda: ef.jacfwd(lambda x: x, randomness="maybe"), RuntimeError,
     "Only allowed values for randomness are 'error', 'different', or 'same'. Got maybe"),
    (lambda: ef.vmap(lambda x: x, chunk_size=0), ValueError,
     "chunk_size should be None or greater than 0. \\(got 0\\)"),
    (lambda: ef.vmap(lambda x: x)(ember.ones(0, 2)), ValueError,
     "the mapped dimension has size 0"),
    (lambda: ef.vmap(lambda x: x, out_dims=3)(ember.ones(2, 2)), ValueError,
     "Got out_dim=3 for an output with 1 dims, so expected -2 <= out_dim < 2"),
    (lambda: ef.vmap(lambda x: x, in_dims=None)(X), ValueError,
     "expected `in_dims` to be int or a \\(potentially nested\\) tuple"),
    (lambda: ef.vmap(lambda x: x, in_dims=(None,))(X), ValueError,
     "At least one of the inputs must be batched"),
    (lambda: ef.vmap(lambda d: d["a"], in_dims=({"b": 0},))({"a": X}), ValueError,
     "in_dims is not compatible with the structure of `inputs`"),
])
def test_func_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_spawn_reports_a_process_that_exits_with_an_error_code():
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with exit code 3") \
            as info:
        mp.spawn(_exit_three, nprocs=1)
    assert info.value.exit_code == 3 and info.value.error_index == 0


@pytest.mark.parametrize("call,error,message", [
    (lambda: ember.signal.windows.hann(4.0), TypeError,
     "expected an int window length M, got float"),
    (lambda: ember.binomial(ember.tensor([-1.0]), ember.tensor([0.5])), RuntimeError,
     "count must be finite and non-negative"),
    (lambda: ember.binomial(ember.tensor([1.0]), ember.tensor([1.5])), RuntimeError,
     "prob must be in \\[0, 1\\]"),
    (lambda: ember.binomial([1.0], ember.tensor([0.5])), TypeError,
     "expected count to be a Tensor, got list"),
    (lambda: ember.poisson(ember.tensor([-1.0])), RuntimeError,
     "expected all rates to be non-negative"),
])
def test_window_and_sampling_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
