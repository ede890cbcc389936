"""PyTorch's long tail of Tensor helpers and top-level functions."""

__all__ = []
__methods__ = ()
__inplace__ = ()
