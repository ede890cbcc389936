"""``ember.linalg``: linear algebra under ``torch.linalg``'s names.

Inverses, determinants, solves and decompositions are in ``ops/decomp.py``,
the LU factorization and its solves in ``ops/lu.py`` (Cholesky and
triangular solves, rank, tensor solves in ``ops/lu_solvers.py``), norms and
other matrix functions in ``ops/matrix_fns.py``; every one is
differentiable, and batch dimensions broadcast.
"""

from ember.ops.decomp import (LinAlgError, cholesky, det, eigh, eigvalsh, householder_product,
                              inv, qr, slogdet, solve, solve_triangular, svd, svdvals)
from ember.ops.linalg import matmul
from ember.ops.lu import linalg_cond as cond
from ember.ops.lu import linalg_inv_ex as inv_ex
from ember.ops.lu import linalg_lu as lu
from ember.ops.lu import linalg_lu_factor as lu_factor
from ember.ops.lu import linalg_lu_factor_ex as lu_factor_ex
from ember.ops.lu import linalg_lu_solve as lu_solve
from ember.ops.lu import linalg_solve_ex as solve_ex
from ember.ops.lu_solvers import linalg_cholesky_ex as cholesky_ex
from ember.ops.lu_solvers import linalg_diagonal as diagonal
from ember.ops.lu_solvers import linalg_vander as vander
from ember.ops.lu_solvers import matrix_rank, tensorinv, tensorsolve
from ember.ops.matrix_fns import linalg_cross as cross
from ember.ops.matrix_fns import (lstsq, matrix_exp, matrix_norm, matrix_power, multi_dot, norm,
                                  pinv)
from ember.ops.statistics import vector_norm

__all__ = ["LinAlgError", "inv", "inv_ex", "det", "slogdet", "solve", "solve_ex",
           "solve_triangular", "cholesky", "cholesky_ex", "eigh", "eigvalsh", "qr",
           "householder_product", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "lstsq", "svd",
           "svdvals", "pinv", "matrix_rank", "cond", "matrix_power", "matrix_exp", "matrix_norm",
           "vector_norm", "norm", "cross", "multi_dot", "matmul", "vecdot", "diagonal", "vander",
           "tensorinv", "tensorsolve"]


def vecdot(x, y, *, dim=-1):
    """The dot product of vectors along ``dim``, batches broadcast (real inputs)."""
    return (x * y).sum(dim)
