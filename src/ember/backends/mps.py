"""``ember.backends.mps``: Apple's Metal backend, which Ember does not have."""


def is_available():
    """False: Ember runs on NumPy (CPU) and CuPy (CUDA) only (``torch.backends.mps.is_available``)."""
    return False


def is_built():
    """False: Ember has no MPS backend to build (``torch.backends.mps.is_built``)."""
    return False
