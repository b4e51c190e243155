"""Atomic file writes: a temporary file in the same folder, renamed into place (no torch here)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask (read by setting and restoring it), so files get the usual permissions."""
    current = os.umask(0)
    os.umask(current)
    return current


def write_files(folder: str | Path, files: dict[str, bytes]) -> None:
    """Write every file of ``files`` (name -> bytes) into ``folder`` (created if needed), each atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        write_atomic(folder / name, data)


def remove_if_empty(folder: Path | None) -> None:
    """Remove ``folder`` if it is empty; keep it (silently) if it holds anything, is in use or is gone."""
    if folder is not None:
        try:
            folder.rmdir()
        except OSError:
            pass
