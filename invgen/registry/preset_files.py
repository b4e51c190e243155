"""Presets as files: what ``invgen tune`` writes and ``--preset FILE.json`` (run, eval's ``-m``) reads.

A preset file is JSON: ``{"kind": "invgen-preset", "name", "losses": [specs], "priors": [specs],
"tie_layers", "summary", "tuned"}`` (``tuned``: how ``invgen tune`` chose it, its scores, kept for the
reader); :data:`SCHEMA` says each key's type, and any other key is refused (a typo would be lost silently).
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
    """The preset in ``path``, checked against the preset file's schema: its keys, their types, and no term
    given twice (its specs are checked where they are used)."""
    data = read_kind_file(path, "invgen-preset", "preset file", "invgen tune")
    unknown = sorted(set(data) - set(SCHEMA))
    if unknown:
        raise InputError(f"{path}: unknown key {unknown[0]!r} in a preset file (its keys: {', '.join(SCHEMA)})")
    for key, (kind, described) in SCHEMA.items():
        if key in data and not isinstance(data[key], kind):
            raise InputError(f"{path}: \"{key}\" must be {described}, not {json.dumps(data[key])[:40]}")
    losses, priors = data.get("losses"), data.get("priors", [])
    if not (isinstance(losses, list) and isinstance(priors, list)
            and all(isinstance(spec, str) for spec in [*losses, *priors]) and losses):
        raise InputError(f"{path}: a preset file needs \"losses\" (at least one spec) and \"priors\" as lists of "
                         "spec strings")
    for key, specs in (("losses", losses), ("priors", priors)):
        names = [spec.split(":", 1)[0].strip() for spec in specs]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise InputError(f"{path}: the term {twice[0]!r} is given twice in \"{key}\"; give each term once "
                             "(with its weight)")
    return Preset(str(path), tuple(losses), tuple(priors), str(data.get("summary", "")),
                  bool(data.get("tie_layers", False)), "file")


SCHEMA: dict[str, tuple[type, str]] = {  # key: (type, how messages describe it); "kind" is read first
    "name": (str, "a string"), "losses": (list, "a list of spec strings"), "priors": (list, "a list of spec strings"),
    "tie_layers": (bool, "true or false"), "summary": (str, "a string"), "tuned": (dict, "an object"),
}
