"""Presets as files: what ``invgen tune`` writes and ``--preset FILE.json`` (run, eval's ``-m``) reads.

A preset file is JSON: ``{"kind": "invgen-preset", "name", "losses": [specs], "priors": [specs],
"tie_layers", "summary", ...}``; other keys (how it was tuned, its scores) are kept for the reader.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from invgen.errors import InputError
from invgen.io.kind_files import read_kind_file
from invgen.registry.records import Preset

SUFFIX = ".json"


def is_preset_file(name: str) -> bool:
    """Whether a ``--preset`` value names a file rather than a registered preset."""
    return name.endswith(SUFFIX)


def preset_file_text(name: str, losses: Sequence[str], priors: Sequence[str], tie_layers: bool = False,
                     summary: str = "", **extra: Any) -> str:
    return json.dumps({"kind": "invgen-preset", "name": name, "losses": list(losses), "priors": list(priors),
                       "tie_layers": tie_layers, "summary": summary, **extra}, indent=2) + "\n"


def load_preset_file(path: str | Path) -> Preset:
    """The preset in ``path``, checked for shape (its specs are checked where they are used)."""
    data = read_kind_file(path, "invgen-preset", "preset file", "invgen tune")
    losses, priors = data.get("losses"), data.get("priors", [])
    if not (isinstance(losses, list) and isinstance(priors, list)
            and all(isinstance(spec, str) for spec in [*losses, *priors]) and losses):
        raise InputError(f"{path}: a preset file needs \"losses\" (at least one spec) and \"priors\" as lists of "
                         "spec strings")
    return Preset(str(path), tuple(losses), tuple(priors), str(data.get("summary", "")),
                  bool(data.get("tie_layers", False)), "file")
