"""(being written)"""

__all__ = []
__methods__ = ()
__inplace__ = ()
