"""Small JSON files invgen writes for itself (calibrations, presets), read back with one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from invgen.errors import InputError


def read_kind_file(path: str | Path, kind: str, what: str, maker: str) -> dict[str, Any]:
    """The JSON object in ``path`` whose ``"kind"`` is ``kind`` (removed from the result); ``what`` names such a
    file in messages and ``maker`` the command that makes one."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what} (make one with `{maker}`)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: not a {what} ({type(error).__name__})") from None
    if not isinstance(data, dict) or data.pop("kind", None) != kind:
        raise InputError(f"{path}: not a {what} made by `{maker}`")
    return data
