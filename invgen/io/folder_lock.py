"""An exclusive lock on an output folder, so two processes never write one set of results at once."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from invgen.errors import OutputError


class FolderLock:
    """Held from :meth:`take` until :meth:`release` or the end of the process (the kernel drops it then)."""

    def __init__(self, stream, path: Path) -> None:  # noqa: ANN001 - an open text file
        self._stream, self.path = stream, path

    @classmethod
    def take(cls, path: Path, results: Path, what: str = "invgen run") -> "FolderLock":
        """Lock through the file ``path`` (created); a second holder is refused with one line naming ``results``
        and the process that holds them."""
        stream = open(path, "a+")
        try:
            fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            stream.seek(0)
            holder = stream.read().strip() or "another process"
            stream.close()
            raise OutputError(f"{results}: another {what} ({holder}) is writing these results; wait for it or choose "
                              "another --output") from None
        stream.seek(0)
        stream.truncate()
        stream.write(f"pid {os.getpid()}")
        stream.flush()
        return cls(stream, path)

    def release(self) -> None:
        """Give the lock up and remove its file."""
        self.path.unlink(missing_ok=True)
        self._stream.close()
