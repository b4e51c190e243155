"""An exclusive lock on an output folder, so two processes never write one set of results at once."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from invgen.errors import OutputError
from invgen.io.atomic import remove_if_empty


class FolderLock:
    """Held from :meth:`take` until :meth:`release` or the end of the process (the kernel drops it then)."""

    def __init__(self, stream, path: Path, made: Path | None = None) -> None:  # noqa: ANN001 - an open text file
        self._stream, self.path, self._made = stream, path, made

    @classmethod
    def take(cls, path: Path, results: Path, what: str = "invgen run", made: Path | None = None) -> "FolderLock":
        """Lock through the file ``path`` (created); a second holder is refused with one line naming ``results``
        and the process that holds them. ``made``: a folder created for the lock, removed with it if left empty
        (a run refused after the lock leaves nothing behind)."""
        stream = open(path, "a+")
        try:
            fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            stream.seek(0)
            holder = stream.read().strip() or "another process"
            stream.close()
            remove_if_empty(made)
            raise OutputError(f"{results}: another {what} ({holder}) is writing these results; wait for it or choose "
                              "another --output") from None
        stream.seek(0)
        stream.truncate()
        stream.write(f"pid {os.getpid()}")
        stream.flush()
        return cls(stream, path, made)

    def release(self) -> None:
        """Give the lock up and remove its file (and the folder made for it, if nothing else was written there)."""
        self.path.unlink(missing_ok=True)
        self._stream.close()
        remove_if_empty(self._made)
