"""Pairwise distances between the rows of one matrix (``ember.nn.functional.pdist``)."""

from ember.ops._util import check_tensor
from ember.ops.tensor_utils import triu_indices

__all__ = ["pdist"]


def pdist(input, p=2):
    """The p-norm distance between every pair of rows of an (N, M) input.

    Returns the N * (N - 1) / 2 distances ``||input[i] - input[j]||_p`` for
    i < j in row-major order: the strict upper triangle of
    ``cdist(input, input, p)``. ``p`` may be any value in [0, inf]; p = 0
    counts the differing coordinates.

    The pairs' differences are formed explicitly (N * (N - 1) / 2 * M
    values), and the gradient of a zero distance is zero, as in PyTorch.
    Differs from PyTorch: second derivatives exist (PyTorch has none).
    """
    check_tensor(input, "pdist")
    if input.ndim != 2:
        raise RuntimeError(f"pdist: only supports 2D tensors, got: {input.ndim}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"pdist: only supports floating-point dtypes, got {input.dtype}")
    if p < 0:
        raise RuntimeError(f"pdist: only supports non-negative p values, got p={p}")
    n = input.shape[0]
    rows, cols = triu_indices(n, n, 1, device=input.device)
    return (input[rows] - input[cols]).norm(p, dim=1)
