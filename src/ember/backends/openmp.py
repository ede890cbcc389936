"""``ember.backends.openmp``: whether OpenMP parallelises the CPU kernels."""


def is_available():
    """False: Ember's own CPU code does not use OpenMP (``torch.backends.openmp.is_available``).

    Ember's CPU work runs in NumPy, whose BLAS may use threads of its own
    (see ``ember.set_num_threads``).
    """
    return False
