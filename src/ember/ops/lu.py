"""LU factorization and the triangular / Cholesky solves built on it."""

__all__ = []
__methods__ = ()
__inplace__ = ()
