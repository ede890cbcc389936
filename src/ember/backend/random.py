"""Random number generation: one seeded default generator, reproducible."""

import numpy as np

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator",
           "get_rng_state", "set_rng_state"]


class Generator:
    """A source of random numbers (NumPy's PCG64 underneath).

    ``Generator().manual_seed(0)`` gives the same stream on every run; pass it
    as ``generator=`` to the random factories.
    """

    def __init__(self, device="cpu"):
        self.device = device
        self._seed = 0
        self.rng = np.random.default_rng(0)

    def manual_seed(self, seed):
        """Reset the stream from an integer seed; returns self."""
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Reseed from fresh OS entropy; returns the new seed."""
        s = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(s)
        return s

    def initial_seed(self):
        """The seed last given."""
        return self._seed

    def get_state(self):
        """The generator's state, a dict that ``set_state`` takes back."""
        return {"seed": self._seed, "bit_generator": self.rng.bit_generator.state}

    def set_state(self, state):
        """Restore a state from ``get_state``."""
        self._seed = state["seed"]
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = state["bit_generator"]


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator; returns it."""
    return default_generator.manual_seed(seed)


def seed():
    """Seed the default generator non-deterministically; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The default generator's seed."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state."""
    return default_generator.get_state()


def set_rng_state(state):
    """Restore the default generator's state."""
    default_generator.set_state(state)


def rng(generator=None):
    """The NumPy generator behind ``generator`` or the default one."""
    return (generator or default_generator).rng
