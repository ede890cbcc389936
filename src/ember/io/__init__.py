"""Checkpoints and weights on disk, as safetensors files (never pickle).

``save`` / ``load`` (also ``ember.save`` / ``ember.load``) handle nested
checkpoints: state_dicts, optimizer state, epochs, RNG state.
``save_safetensors`` / ``load_safetensors`` read and write flat
``{name: Tensor}`` files, such as pretrained weights from other tools.
See docs/checkpoints.md.
"""

from ember.io.safetensors_io import (CheckpointError, CheckpointNotFoundError, load_safetensors,
                                     read_metadata, save_safetensors)
from ember.io.serialization import load, save

__all__ = ["save", "load", "save_safetensors", "load_safetensors", "read_metadata",
           "CheckpointError", "CheckpointNotFoundError"]
