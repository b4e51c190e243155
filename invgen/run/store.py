"""Where a run's results go: whole output folders, put in place by a rename, and an index of every input.

An input's folder is complete when it exists with its ``run.json`` (the completion record, written
last into a staging folder that is then renamed into place), so an interrupted process never leaves
a folder that looks finished, and ``--resume`` skips exactly the complete ones. Each process appends
its index rows to ``index/shard-I-of-N.jsonl`` as it goes; :meth:`RunStore.merge_index` joins them into
``index.jsonl`` and ``index.csv`` once every input has a row.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import time
from dataclasses import astuple
from pathlib import Path
from typing import Any, Sequence

from invgen.io.atomic import remove_if_empty, write_atomic, write_files
from invgen.io.folder_lock import FolderLock
from invgen.io.volumes import VolumePart
from invgen.run.inputs import InputItem
from invgen.errors import InputError, OutputError, OutputExists

RECORD = "run.json"
STAGING = ".partial"
MIN_FREE_BYTES = 64 << 20  # refuse to start a run with less free space than this where its results go
INDEX_FIELDS = ("input", "name", "status", "seconds", "error")


class RunStore:
    """The output folder of a run: ``flat`` holds one input's files itself (a single-image run), otherwise
    one sub-folder per input, named by :class:`~invgen.run.inputs.InputItem`."""

    def __init__(self, root: Path, flat: bool = False) -> None:
        self.root, self.flat = Path(root), flat
        self._lock: FolderLock | None = None

    def folder(self, name: str) -> Path:
        return self.root if self.flat else self.root / name

    def record(self, name: str) -> dict[str, Any] | None:
        """The completion record of ``name``'s output, or None when there is none (or it is unreadable)."""
        try:
            return json.loads((self.folder(name) / RECORD).read_text())
        except (OSError, ValueError):
            return None

    def is_complete(self, name: str) -> bool:
        """Written whole, and not the best-so-far of an interrupted solve."""
        record = self.record(name)
        return record is not None and not record.get("interrupted", False)

    def has_output(self, name: str) -> bool:
        if self.flat:
            return (self.root / RECORD).exists()
        return self.folder(name).exists()

    def unlisted(self, name: str) -> list[str]:
        """The entries of ``name``'s folder that its ``run.json`` does not list (the user's own files)."""
        folder = self.folder(name)
        if not folder.is_dir():
            return []
        listed = set((self.record(name) or {}).get("files", [])) | {RECORD}
        return sorted(entry.name for entry in folder.iterdir() if entry.name not in listed)

    def check(self, items: Sequence[InputItem], resume: bool, overwrite: bool) -> None:
        """Before any compute: the output must be a folder (or creatable) and hold no results we would replace
        unasked, and no files that no ``run.json`` lists (unless ``overwrite``)."""
        if self.root.exists() and not self.root.is_dir():
            raise OutputExists(f"{self.root}: exists and is not a folder; choose another --output")
        for item in items:
            folder = self.folder(item.name)
            if folder.exists() and not folder.is_dir():
                raise OutputExists(f"{folder}: exists and is not a folder; move it or choose another --output")
            foreign = [] if overwrite else self.unlisted(item.name)
            if foreign:
                more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
                raise OutputExists(f"{folder}: holds {foreign[0]!r}{more} that no run.json lists; pass --overwrite to "
                                   "write there anyway (same-named files are replaced) or choose another --output")
        if resume or overwrite:
            return
        clash = next((item.name for item in items if self.has_output(item.name)), None)
        if clash is not None:
            where = self.root if self.flat else self.folder(clash)
            raise OutputExists(f"{where}: already holds results; pass --resume, --overwrite or choose another "
                               "--output")

    def claim(self, shard_label: str = "0-of-1") -> None:
        """Before any compute: make sure results can be written here (the folder creatable and writable, space
        free) and lock it against a second run writing the same results; the lock lasts until :meth:`release`
        or the end of the process."""
        home = self.root.parent if self.flat else self.root
        try:
            home.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=home, prefix=".invgen-probe-"):
                pass
        except OSError as error:
            raise OutputError(f"{home}: cannot write results there ({error.strerror or error}); choose another "
                              "--output") from None
        free = shutil.disk_usage(home).free
        if free < MIN_FREE_BYTES:
            raise OutputError(f"{home}: only {free >> 20} MB free; results need space: free some or choose another "
                              "--output")
        path = home / (f".{self.root.name}.lock" if self.flat else f".lock-{shard_label}")
        self._lock = FolderLock.take(path, self.root)

    def release(self) -> None:
        """Give up the lock of :meth:`claim` (and remove its file)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def write(self, name: str, files: dict[str, bytes]) -> Path:
        """Put ``name``'s files in place at once (``run.json`` written last); an earlier run's files there are
        replaced whole, never mixed with the new ones, and files no ``run.json`` lists are kept."""
        target = self.folder(name)
        staging = self._staging(name)
        shutil.rmtree(staging, ignore_errors=True)
        ordered = {key: value for key, value in files.items() if key != RECORD}
        write_files(staging, {**ordered, RECORD: files[RECORD]})
        if target.exists() and self.unlisted(name):
            self._write_in_place(name, target, staging, files)
            return target
        if target.exists():
            old = self._staging(name, "old")
            shutil.rmtree(old, ignore_errors=True)
            os.rename(target, old)
            os.rename(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging, target)
        if not self.flat:
            remove_if_empty(self.root / STAGING)
        return target

    def _staging(self, name: str, kind: str = "new") -> Path:
        if self.flat:
            return self.root.parent / f".{self.root.name}.{kind}.{os.getpid()}"
        return self.root / STAGING / f"{name}.{kind}.{os.getpid()}"

    def _write_in_place(self, name: str, target: Path, staging: Path, files: dict[str, bytes]) -> None:
        """An output folder that holds other files too (written with ``--overwrite``): drop exactly the files
        its earlier ``run.json`` listed, then write ours."""
        previous = self.record(name) or {}
        for name in previous.get("files", []):
            (target / Path(name).name).unlink(missing_ok=True)
        (target / RECORD).unlink(missing_ok=True)
        ordered = {key: value for key, value in files.items() if key != RECORD}
        write_files(target, {**ordered, RECORD: files[RECORD]})
        shutil.rmtree(staging, ignore_errors=True)

    # --- the index -------------------------------------------------------------------------
    def save_inputs(self, items: Sequence[InputItem]) -> None:
        """Record the whole input list (every shard writes the same), so the index can be merged later."""
        listing = [{"input": str(item.path), "name": item.name,
                    **({} if item.volume is None else {"volume": list(astuple(item.volume))})} for item in items]
        write_atomic(self.root / "index" / "inputs.json", json.dumps(listing).encode())

    def saved_inputs(self) -> list[InputItem]:
        try:
            listing = json.loads((self.root / "index" / "inputs.json").read_text())
        except (OSError, ValueError):
            raise InputError(f"{self.root}: holds no index/inputs.json; is it the --output of a many-input "
                             "invgen run?") from None
        if not isinstance(listing, list) or not all(isinstance(entry, dict) and isinstance(entry.get("input"), str)
                                                    and isinstance(entry.get("name"), str) for entry in listing):
            raise InputError(f"{self.root / 'index' / 'inputs.json'}: damaged (each entry needs an input and a name); "
                             "rerun the invgen run with --resume to rewrite it")
        return [InputItem(Path(entry["input"]), entry["name"], volume=_part(entry.get("volume"))) for entry in listing]

    def add_row(self, row: dict[str, Any], shard_label: str) -> None:
        """Append one input's row to this process's index file (one line, flushed)."""
        folder = self.root / "index"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"shard-{shard_label}.jsonl", "a") as stream:
            stream.write(json.dumps({**row, "finished": time.time()}) + "\n")
            stream.flush()

    def rows(self) -> dict[str, dict[str, Any]]:
        """The best row of every input in any shard's file: a success over a failure, else the latest."""
        best: dict[str, dict[str, Any]] = {}
        for path in sorted((self.root / "index").glob("shard-*.jsonl")):
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                try:
                    row = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a killed process
                if not isinstance(row, dict) or not isinstance(row.get("name"), str):
                    raise InputError(f"{path}:{number}: not an index row (it has no input name); the shard file is "
                                     "damaged: delete that line and rerun the invgen run with --resume")
                current = best.get(row["name"])
                if current is None or _rank(row) >= _rank(current):
                    best[row["name"]] = row
        return best

    def merge_index(self, items: Sequence[InputItem]) -> bool:
        """Write ``index.jsonl`` and ``index.csv`` (input order) if every input has a row; rows of complete
        outputs that no shard file holds (a deleted index) are read from their ``run.json``."""
        found = self.rows()
        ordered = []
        for item in items:
            row = found.get(item.name)
            if row is None and self.is_complete(item.name):
                record = self.record(item.name) or {}
                row = {"input": str(item.path), "name": item.name, "status": "ok",
                       "seconds": record.get("timings_s", {}).get("total"), "error": None,
                       "metrics": {k: v[0] for k, v in record.get("metrics", {}).items()}}
            if row is None:
                return False
            ordered.append({key: value for key, value in row.items() if key not in ("finished",)})
        write_atomic(self.root / "index.jsonl", "".join(json.dumps(row) + "\n" for row in ordered).encode())
        write_atomic(self.root / "index.csv", _csv(ordered).encode())
        return True


def _part(saved: Any) -> VolumePart | None:
    """A saved input's place in its volume (``[name, index, count]``), or None."""
    if not (isinstance(saved, list) and len(saved) == 3 and isinstance(saved[0], str)
            and all(isinstance(number, int) for number in saved[1:])):
        return None
    return VolumePart(*saved)


def _rank(row: dict[str, Any]) -> tuple[int, float]:
    return (1 if row.get("status") == "ok" else 0, float(row.get("finished", 0)))


def _csv(rows: list[dict[str, Any]]) -> str:
    metrics = sorted({key for row in rows for key in (row.get("metrics") or {})})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*INDEX_FIELDS, *metrics, "shard"])
    for row in rows:
        values = row.get("metrics") or {}
        writer.writerow([row.get(key) for key in INDEX_FIELDS] + [values.get(key) for key in metrics]
                        + [row.get("shard")])
    return buffer.getvalue()
