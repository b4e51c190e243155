"""What ``--input`` names: one image, a folder (searched recursively), a glob, or a manifest of paths.

The list is sorted and named deterministically, so every process of a sharded run sees the same
list and the same output names. A manifest is a ``.txt``/``.lst`` file (one path per line, ``#``
comments) or a ``.csv`` with a ``path`` column and optional ``name`` (the output folder) and
``forward`` columns (extra forward specs for that image, joined by ``|``, e.g. its own mask file).
Relative paths in a manifest are taken from the manifest's folder.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

from invgen.errors import InputError
from invgen.io.medical import is_medical

IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".npy", ".npz", ".dcm", ".dicom", ".nii",
               ".nii.gz")
MANIFEST_TYPES = {".txt", ".lst", ".csv"}
_GLOB = re.compile(r"[*?\[]")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


@dataclass(frozen=True)
class InputItem:
    """One input: its file, the name of its output folder, and extra forward specs for it alone."""

    path: Path
    name: str
    forward: tuple[str, ...] = ()


def collect_inputs(source: str | Path) -> list[InputItem]:
    """Every input ``source`` names, in a deterministic order, with unique output names."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(IMAGE_TYPES)
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        entries = [(file, None, ()) for file in files]
    elif path.is_file() and path.suffix.lower() in MANIFEST_TYPES:
        entries = _manifest(path)
    elif path.is_file() or is_medical(source):
        entries = [(path, None, ())]
    elif _GLOB.search(str(source)):
        entries = [(file, None, ()) for file in glob_files(str(source))]
    else:
        raise InputError(f"{source}: no such file or folder, and not a glob pattern; check the --input path")
    if not entries:
        raise InputError(f"{source}: holds no images (readable: {', '.join(IMAGE_TYPES)})")
    return _named(entries)


def glob_files(pattern: str) -> list[Path]:
    """The files ``pattern`` matches (``*``, ``?``, ``[...]`` within a name, ``**`` any depth; names starting
    with a dot only when the pattern says so), sorted. The folders are walked without following symbolic
    links to folders, so a link loop cannot make the search endless (Python's ``glob`` follows them)."""
    parts = Path(pattern).parts
    fixed = next(index for index, part in enumerate(parts) if _GLOB.search(part))
    root = Path(*parts[:fixed]) if fixed else Path(".")
    matcher = re.compile(_pattern_regex(parts[fixed:]))
    found = []
    for folder, _, names in os.walk(root):  # followlinks=False: links to folders are listed, not entered
        for name in names:
            file = Path(folder) / name
            if matcher.fullmatch(file.relative_to(root).as_posix()) and file.is_file():
                found.append(file)
    return sorted(found)


def _pattern_regex(parts: tuple[str, ...]) -> str:
    """A regular expression for a relative path matching the glob ``parts``."""
    pieces = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            pieces.append(r"(?:[^/.][^/]*/)*" if not last else r"(?:[^/.][^/]*/)*[^/.][^/]*")
            continue
        hidden = "" if part.startswith(".") or not _GLOB.match(part) else r"(?!\.)"
        pieces.append(hidden + _name_regex(part) + ("" if last else "/"))
    return "".join(pieces)


def _name_regex(part: str) -> str:
    """One path component of a glob as a regular expression (``*`` and ``?`` never cross a ``/``)."""
    out, index = [], 0
    while index < len(part):
        char = part[index]
        closing = part.find("]", index + 2) if char == "[" else -1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif closing != -1:
            inside = part[index + 1:closing]
            out.append("[" + ("^" + inside[1:] if inside.startswith("!") else inside).replace("\\", "\\\\") + "]")
            index = closing
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def is_single(source: str | Path) -> bool:
    """One image file (not a manifest; a DICOM frame or NIfTI slice too): its results go straight into the
    output folder, as before."""
    path = Path(source)
    return (path.is_file() and path.suffix.lower() not in MANIFEST_TYPES) or (not path.exists() and is_medical(source))


def _manifest(path: Path) -> list[tuple[Path, str | None, tuple[str, ...]]]:
    base = path.parent
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: unreadable manifest ({error}); give a text file of paths") from None
    if path.suffix.lower() != ".csv":
        lines = [line.strip() for line in text.splitlines()]
        return [(base / line, None, ()) for line in lines if line and not line.startswith("#")]
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or "path" not in rows[0]:
        raise InputError(f"{path}: a CSV manifest needs a header with a 'path' column (optional: name, forward)")
    entries = []
    for number, row in enumerate(rows, start=2):
        if not (row.get("path") or "").strip():
            raise InputError(f"{path}: line {number} has no path; give one file per line")
        extra = tuple(s.strip() for s in (row.get("forward") or "").split("|") if s.strip())
        entries.append((base / row["path"].strip(), (row.get("name") or "").strip() or None, extra))
    return entries


def _named(entries: list[tuple[Path, str | None, tuple[str, ...]]]) -> list[InputItem]:
    """Output names: the given name or the file's stem, made safe; a repeated name gets ``-2``, ``-3`` ..."""
    taken: set[str] = set()
    items = []
    for path, name, extra in entries:
        stem = path.name.split(":")[0].removesuffix(".gz").rsplit(".", 1)[0] + _options_suffix(path.name)
        base = _UNSAFE.sub("_", name or stem).strip("._") or "input"
        unique, count = base, 1
        while unique in taken:
            count += 1
            unique = f"{base}-{count}"
        taken.add(unique)
        items.append(InputItem(path, unique, extra))
    return items


def _options_suffix(name: str) -> str:
    """``vol.nii.gz:slice=40`` -> ``_slice40``: slices of one volume get names of their own."""
    _, sep, options = name.partition(":")
    return "_" + options.replace("=", "").replace(",", "_") if sep else ""
