"""Random number generation: one seeded default generator, reproducible.

Each ``Generator`` owns a NumPy PCG64 stream. ``ember.manual_seed(s)`` resets
the default one, so a program that seeds once draws the same numbers on
every run; a ``Generator`` passed as ``generator=`` to a random factory is
independent of the default stream. The streams are not PyTorch's: the same
seed gives different numbers than ``torch.manual_seed``.
"""

import numpy as np

from ember.backend.device import as_device

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator",
           "get_rng_state", "set_rng_state"]

_SEED_RANGE = (-2**63, 2**64 - 1)  # PyTorch's: negative seeds wrap around modulo 2**64


class Generator:
    """A source of random numbers, seeded with 67280421310721 until ``manual_seed``.

    ``Generator().manual_seed(0)`` gives the same stream on every run; pass it
    as ``generator=`` to the random factories.

    Differs from PyTorch: ``get_state`` returns a dict, not a uint8 tensor.
    """

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self.manual_seed(67280421310721)  # PyTorch's default seed

    def manual_seed(self, seed):
        """Reset the stream from an integer seed; returns self."""
        seed = int(seed)
        if not _SEED_RANGE[0] <= seed <= _SEED_RANGE[1]:
            raise RuntimeError(f"manual_seed: seed must be in [{_SEED_RANGE[0]}, "
                               f"{_SEED_RANGE[1]}], got {seed}")
        self._seed = seed % 2**64
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Reseed from fresh OS entropy; returns the new seed."""
        s = int(np.random.SeedSequence().entropy % 2**64)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        """The seed last given (in [0, 2**64))."""
        return self._seed

    def get_state(self):
        """The generator's state, a dict that ``set_state`` takes back."""
        return {"seed": self._seed, "bit_generator": self.rng.bit_generator.state}

    def set_state(self, state):
        """Restore a state from ``get_state``; returns self."""
        if not isinstance(state, dict) or "bit_generator" not in state:
            raise TypeError("set_state: expected a state dict from get_state(), got "
                            f"{type(state).__name__}")
        bit_generator = np.random.PCG64()
        bit_generator.state = state["bit_generator"]
        self._seed = state["seed"]
        self.rng = np.random.Generator(bit_generator)
        return self

    def __repr__(self):
        return f"<ember.Generator device={self.device} seed={self._seed}>"


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
    """The default generator's state (a dict; PyTorch returns a uint8 tensor)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default generator's state from ``get_rng_state``."""
    default_generator.set_state(new_state)


def rng(generator=None, op="random"):
    """The NumPy generator behind ``generator`` or, for None, the default one."""
    if generator is None:
        return default_generator.rng
    if not isinstance(generator, Generator):
        raise TypeError(f"{op}: expected generator to be an ember.Generator, got "
                        f"{type(generator).__name__}")
    return generator.rng
