"""``ember.linalg``: linear algebra under ``torch.linalg``'s names.

Inverses, determinants, solves and decompositions are in ``ops/decomp.py``,
norms and other matrix functions in ``ops/matrix_fns.py``; every one is
differentiable, and batch dimensions broadcast.
"""

from ember.ops.decomp import (LinAlgError, cholesky, det, eigh, eigvalsh, householder_product,
                              inv, qr, slogdet, solve, solve_triangular, svd, svdvals)
from ember.ops.linalg import matmul
from ember.ops.matrix_fns import linalg_cross as cross
from ember.ops.matrix_fns import (lstsq, matrix_exp, matrix_norm, matrix_power, multi_dot, norm,
                                  pinv)
from ember.ops.statistics import vector_norm

__all__ = ["LinAlgError", "inv", "det", "slogdet", "solve", "solve_triangular", "cholesky", "eigh", "eigvalsh",
           "qr", "householder_product", "lstsq", "svd", "svdvals", "pinv", "matrix_power", "matrix_exp", "matrix_norm", "vector_norm",
           "norm", "cross", "multi_dot", "matmul", "vecdot"]


def vecdot(x, y, *, dim=-1):
    """The dot product of vectors along ``dim``, batches broadcast (real inputs)."""
    return (x * y).sum(dim)
