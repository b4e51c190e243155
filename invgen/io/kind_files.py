"""Small JSON files invgen writes for itself (calibrations, presets), read back with one-line errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

from invgen.errors import InputError

MAX_BYTES = 1 << 20  # these files hold a few specs and numbers


def read_kind_file(path: str | Path, kind: str, what: str, maker: str) -> dict[str, Any]:
    """The JSON object in ``path`` whose ``"kind"`` is ``kind`` (removed from the result); ``what`` names such a
    file in messages and ``maker`` the command that makes one."""
    file = Path(path)
    try:
        if not stat.S_ISREG(file.stat().st_mode):  # a FIFO or a device would block or never end
            raise InputError(f"{path}: not a regular file; give a {what} (make one with `{maker}`)")
        if file.stat().st_size > MAX_BYTES:
            raise InputError(f"{path}: {file.stat().st_size} bytes is too large for a {what} (at most {MAX_BYTES})")
        data = json.loads(file.read_bytes().decode("utf-8-sig"))  # a byte-order mark, as some editors save, is fine
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what} (make one with `{maker}`)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: not a {what} ({type(error).__name__})") from None
    if not isinstance(data, dict) or data.pop("kind", None) != kind:
        raise InputError(f"{path}: not a {what} made by `{maker}`")
    return data
