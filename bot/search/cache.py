"""Files of numpy arrays in the cache directory (the FAQ's vectors, the word-piece model)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def write_arrays(path: Path, **arrays: np.ndarray) -> None:
    """Write arrays to path (.npz) so that no reader sees half a file: a temporary file of this
    process (several processes may write at once), then a rename. Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as file:
        np.savez(file, **arrays)
    tmp.replace(path)
