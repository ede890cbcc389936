"""``nn.CrossMapLRN2d`` against PyTorch's (forward and its legacy backward)."""

import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("size,alpha,beta,k", [(3, 1e-4, 0.75, 1), (4, 1e-2, 0.75, 2),
                                               (5, 0.5, 0.6, 1.5), (2, 0.3, 1.0, 1),
                                               (7, 0.1, 0.75, 1)])
def test_values_and_gradients_match_torch(size, alpha, beta, k):
    x = np.random.default_rng(size).standard_normal((2, 6, 3, 4))
    g = np.random.default_rng(9).standard_normal((2, 6, 3, 4))
    results = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        out = lib.nn.CrossMapLRN2d(size, alpha, beta, k)(t)
        out.backward(lib.tensor(g))
        results.append((out.detach().numpy(), t.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_repr_and_shape_check_match_torch():
    assert repr(ember.nn.CrossMapLRN2d(3)) == repr(torch.nn.CrossMapLRN2d(3))
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D "
                                             "instead."):
            lib.nn.CrossMapLRN2d(3)(lib.ones(2, 3, 4))
