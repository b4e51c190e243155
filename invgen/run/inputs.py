"""What ``--input`` names: one image, a folder (searched recursively), a glob, or a manifest of paths.

The list is sorted, so every process of a sharded run sees the same list. Each input's output name is a
function of its own path alone (:func:`output_name`), so adding or removing inputs never renames another's
folder. A manifest is a ``.txt``/``.lst`` file (one path per line, ``#`` comments) or a ``.csv`` with a
``path`` column and optional ``name`` (the output folder) and ``forward`` columns (extra forward specs for
that image, joined by ``|``, e.g. its own mask file). Relative paths in a manifest, in every column, are
taken from the manifest's folder.

Volumes are many inputs: ``vol.nii.gz:axis=2`` is every slice along axis 2 (``vol.nii.gz:axis=2,slice=000``...),
and the DICOM files of one series in a folder are its slices; each such input knows its place in its volume
(:class:`~invgen.io.volumes.VolumePart`), so that the run writes the volume back whole.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from invgen.errors import InputError
from invgen.io.kspace_files import is_kspace_file
from invgen.io.medical import is_medical
from invgen.io.volumes import VolumePart, dicom_series, is_whole_volume, nifti_slices

IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".npy", ".npz", ".dcm", ".dicom", ".nii",
               ".nii.gz", ".h5", ".hdf5")
MANIFEST_TYPES = {".txt", ".lst", ".csv"}
RUN_FILES = {"index", "index.csv", "index.jsonl"}  # a many-input run's own entries beside the inputs' folders
_GLOB = re.compile(r"[*?\[]")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
_PLAIN_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.\-]|_(?!_))*(?<!_)")  # written as is: no "__", no edge "_"


@dataclass(frozen=True)
class InputItem:
    """One input: its file, the name of its output folder, and extra forward specs for it alone."""

    path: Path
    name: str
    forward: tuple[str, ...] = ()
    volume: VolumePart | None = None


Entry = tuple[Path, str, "str | None", tuple[str, ...]]  # the file, its path as the user gave it, name, forward


def collect_inputs(source: str | Path, exclude: str | Path | None = None) -> list[InputItem]:
    """Every input ``source`` names, sorted, each named by :func:`output_name` (or a manifest's name column).
    Files under ``exclude`` (the run's own output folder, when it lies inside the input folder) are left out."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(IMAGE_TYPES)
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        entries = [(file, file.relative_to(path).as_posix(), None, ()) for file in files]
    elif path.is_file() and path.suffix.lower() in MANIFEST_TYPES:
        entries = _manifest(path)
    elif path.is_file() or is_medical(source) or is_kspace_file(source):
        entries = [(path, path.name, None, ())]
    elif _GLOB.search(str(source)):
        root = _glob_root(str(source))
        entries = [(file, file.relative_to(root).as_posix(), None, ()) for file in glob_files(str(source))]
    else:
        raise InputError(f"{source}: no such file or folder, and not a glob pattern; check the --input path")
    if exclude is not None:
        outside = Path(exclude).resolve()
        if path.is_dir() and path.resolve() == outside:
            raise InputError(f"{source}: is also the --output folder, whose results would be read as inputs; "
                             "choose another --output")
        entries = [entry for entry in entries if not entry[0].resolve().is_relative_to(outside)]
    if not entries:
        raise InputError(f"{source}: holds no images (readable: {', '.join(IMAGE_TYPES)})")
    sliced, parts = _sliced(entries)
    return [replace(item, volume=parts.get(item.path)) for item in _named(sliced)]


def _sliced(entries: list[Entry]) -> tuple[list[Entry], dict[Path, VolumePart]]:
    """Whole-volume NIfTI entries (``vol.nii.gz:axis=2``) replaced by one entry per slice, each slice's place
    in its volume (named as the volume's entry would be), and the places of the files of DICOM series."""
    out: list[Entry] = []
    parts = dicom_series([entry[0] for entry in entries])
    for path, given, name, extra in entries:
        if not is_whole_volume(path):
            out.append((path, given, name, extra))
            continue
        options = nifti_slices(path)
        volume = output_name(name) if name else output_name(given)
        for index, option in enumerate(options):
            sliced = Path(f"{path},{option}")
            out.append((sliced, f"{given},{option}", None if name is None else f"{name}_{option}", extra))
            parts[sliced] = VolumePart(volume, index, len(options))
    return out, parts


def output_name(given: str) -> str:
    """The output folder of the input at path ``given`` (relative to its folder or manifest): the path with
    ``/`` written ``__`` and other characters than letters, digits, ``.``, ``-`` and ``_`` as ``_``; where that
    loses information (or the name is one of the run's own files), 8 hex digits of the path's hash are added
    (an absolute path: its file's name and that hash).
    A function of the path alone, so no other input can rename it."""
    text, sep, options = given.partition(":")  # vol.nii.gz:slice=40 -> vol.nii.gz_slice40
    absolute = PurePosixPath(text).is_absolute()  # named by the file's name (and the hash of its whole path)
    parts = [part for part in PurePosixPath(text).parts if part not in ("/", ".")][-1 if absolute else 0:]
    joined = "__".join(_UNSAFE.sub("_", part) for part in parts)
    name = joined.strip("._")
    plain = all(_PLAIN_PART.fullmatch(part) for part in parts) and not absolute and name == joined
    if sep:
        name += "_" + _UNSAFE.sub("_", options.replace("=", "").replace(",", "_")).strip("_")
    if plain and name and name not in RUN_FILES:
        return name
    return f"{name or 'input'}-{hashlib.sha256(given.encode()).hexdigest()[:8]}"


def glob_files(pattern: str) -> list[Path]:
    """The files ``pattern`` matches (``*``, ``?``, ``[...]`` within a name, ``**`` any depth; names starting
    with a dot only when the pattern says so), sorted. The folders are walked without following symbolic
    links to folders, so a link loop cannot make the search endless (Python's ``glob`` follows them)."""
    parts = Path(pattern).parts
    fixed = next(index for index, part in enumerate(parts) if _GLOB.search(part))
    root = _glob_root(pattern)
    matcher = re.compile(_pattern_regex(parts[fixed:]))
    found = []
    for folder, _, names in os.walk(root):  # followlinks=False: links to folders are listed, not entered
        for name in names:
            file = Path(folder) / name
            if matcher.fullmatch(file.relative_to(root).as_posix()) and file.is_file():
                found.append(file)
    return sorted(found)


def _glob_root(pattern: str) -> Path:
    """The folder a glob searches: its leading components without wildcards."""
    parts = Path(pattern).parts
    fixed = next(index for index, part in enumerate(parts) if _GLOB.search(part))
    return Path(*parts[:fixed]) if fixed else Path(".")


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
    if is_whole_volume(source):
        return False
    return (path.is_file() and path.suffix.lower() not in MANIFEST_TYPES) or (
        not path.exists() and (is_medical(source) or is_kspace_file(source)))


def _manifest(path: Path) -> list[Entry]:
    from invgen.registry.paths import rebased

    base = path.parent
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: unreadable manifest ({error}); give a text file of paths") from None
    if path.suffix.lower() != ".csv":
        lines = [line.strip() for line in text.splitlines()]
        return [(base / line, line, None, ()) for line in lines if line and not line.startswith("#")]
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or "path" not in rows[0]:
        raise InputError(f"{path}: a CSV manifest needs a header with a 'path' column (optional: name, forward)")
    entries = []
    for number, row in enumerate(rows, start=2):
        given = (row.get("path") or "").strip()
        if not given:
            raise InputError(f"{path}: line {number} has no path; give one file per line")
        extra = tuple(rebased("forward", s.strip(), base) for s in (row.get("forward") or "").split("|") if s.strip())
        entries.append((base / given, given, (row.get("name") or "").strip() or None, extra))
    return entries


def _named(entries: list[Entry]) -> list[InputItem]:
    """Each input named by its manifest's name column or :func:`output_name`; two inputs with one name (a file
    listed twice, or two names that differ only in unsafe characters) are refused: nothing would tell them
    apart."""
    owners: dict[str, Path] = {}
    items = []
    for path, given, name, extra in entries:
        unique = output_name(name) if name else output_name(given)
        if unique in owners:
            raise InputError(f"{path}: gets the output name {unique!r} that {owners[unique]} has already; give each "
                             "input its own name in a CSV manifest's name column")
        owners[unique] = path
        items.append(InputItem(path, unique, extra))
    return items
