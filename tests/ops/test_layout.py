"""Result memory layouts against PyTorch's, on inputs laid out unusually (transposed).

Scripts rely on layouts: ``.view`` needs a contiguous tensor. PyTorch's
elementwise ops keep their input's layout, while reductions, scans, softmax,
cat/stack, masked_fill, einsum products and indexing allocate row-major results.
NumPy follows the input's memory order in all of them, so Ember's ops copy
where PyTorch's results are row-major (``Function.row_major``).
"""

import numpy as np
import pytest
import torch

import ember
from reference import close

X = np.random.default_rng(0).standard_normal((3, 4, 5))

CASES = {
    "add": lambda L, a: a.transpose(0, 2) + 1,
    "exp": lambda L, a: L.exp(a.transpose(0, 1)),
    "where": lambda L, a: L.where(a.transpose(0, 1) > 0.5, a.transpose(0, 1), 0.0),
    "sum": lambda L, a: a.transpose(0, 2).sum(1),
    "sum keepdim": lambda L, a: a.transpose(0, 2).sum(1, keepdim=True),
    "mean": lambda L, a: a.transpose(0, 2).mean(1),
    "prod": lambda L, a: a.transpose(0, 2).prod(1),
    "max": lambda L, a: a.transpose(0, 2).max(1)[0],
    "amax": lambda L, a: a.transpose(0, 2).amax(1),
    "argmax": lambda L, a: a.transpose(0, 2).argmax(1),
    "var": lambda L, a: a.transpose(0, 2).var(1),
    "std": lambda L, a: a.transpose(0, 2).std(1),
    "norm": lambda L, a: a.transpose(0, 2).norm(dim=1),
    "logsumexp": lambda L, a: L.logsumexp(a.transpose(0, 2), 1),
    "all": lambda L, a: (a.transpose(0, 2) > 0.1).all(1),
    "cumsum": lambda L, a: L.cumsum(a.transpose(0, 1), 1),
    "cumprod": lambda L, a: L.cumprod(a.transpose(0, 1), 1),
    "softmax last": lambda L, a: L.softmax(a.transpose(1, 2), -1),
    "softmax middle": lambda L, a: L.softmax(a.transpose(0, 2), 1),
    "log_softmax": lambda L, a: L.log_softmax(a.transpose(0, 2), 1),
    "cat": lambda L, a: L.cat([a.transpose(0, 1), a.transpose(0, 1)], 0),
    "cat last": lambda L, a: L.cat([a.transpose(0, 1), a.transpose(0, 1)], 2),
    "stack": lambda L, a: L.stack([a.transpose(0, 1), a.transpose(0, 1)], 0),
    "masked_fill": lambda L, a: a.transpose(0, 1).masked_fill(a.transpose(0, 1) > 0.5, 0.0),
    "einsum product": lambda L, a: L.einsum("ijk,ilk->ijl", a, a),
    "einsum relabel (a view)": lambda L, a: L.einsum("ijk->kji", a),
    "index_select": lambda L, a: L.index_select(a, 1, L.tensor([2, 0])),
    "matmul": lambda L, a: a.transpose(0, 1) @ L.ones(5, 2, dtype=L.float64),
}


def _strides(t):
    """Strides of the axes longer than 1 (a size-1 axis's stride is arbitrary)."""
    return [s for s, n in zip(t.stride(), t.shape) if n > 1]


@pytest.mark.parametrize("name", CASES)
def test_result_layout_matches_torch(name):
    e = CASES[name](ember, ember.tensor(X))
    t = CASES[name](torch, torch.tensor(X))
    close(e, t)
    assert _strides(e) == _strides(t)
    assert e.is_contiguous() == t.is_contiguous()


def test_row_major_results_can_be_viewed_as_in_torch():
    e = ember.tensor(X).transpose(0, 2).softmax(-1).sum(1)
    assert tuple(e.view(-1).shape) == (15,)


@pytest.mark.parametrize("fn", [
    lambda m, x: m.cumprod(x, 1), lambda m, x: m.cumsum(x, 1), lambda m, x: m.softmax(x, 1),
    lambda m, x: m.log_softmax(x, 0), lambda m, x: m.logcumsumexp(x, 1),
    lambda m, x: m.cummax(x, 1).values])
def test_row_major_outputs_saved_for_backward_stay_differentiable(fn):
    # The forward saves its output, then apply copies it row-major: the saved
    # one must still be recognised as the output (second derivatives).
    from reference import check
    a = np.random.default_rng(0).standard_normal((3, 4)) + 2.0
    check(lambda x: fn(ember if isinstance(x, ember.Tensor) else torch, x.t()), a)
