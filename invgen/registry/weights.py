"""The weights cache: named weight files registered by plugins, found, fetched and verified.

Files live under ``$INVGEN_HOME/weights`` (default ``~/.cache/invgen/weights``). A name
resolves to, in order: a local file registered with ``invgen weights add NAME FILE``; the
cached download; a fresh download (resumed from a ``.part`` file, written atomically,
sha256-checked when the registry knows the hash). Offline, a missing file is one error that
gives the URL and the ``invgen weights add`` command. Nothing here imports torch.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

from invgen.io.atomic import write_atomic
from invgen.io.home import weights_dir
from invgen.errors import UserError, WeightsError
from invgen.registry.table import WeightsInfo

CHUNK = 1 << 20


def _index_path() -> Path:
    return weights_dir() / "local.json"


def local_files() -> dict[str, dict[str, str]]:
    """Names registered with ``invgen weights add``: ``{name: {"path": ..., "sha256": ...}}``."""
    path = _index_path()
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise WeightsError(f"{path}: unreadable weights index ({error}); delete it and re-add your files") from None


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def add_local(name: str, file: Path, info: WeightsInfo | None) -> str:
    """Register a local file under ``name`` after checking its sha256 against the registry's and letting the
    plugin that registered the name check its content."""
    file = file.expanduser().resolve()
    if not file.is_file():
        raise WeightsError(f"{file}: no such file")
    digest = sha256_of(file)
    if info is not None and info.sha256 and digest != info.sha256:
        raise WeightsError(f"{file}: sha256 {digest[:12]}... does not match {name!r} ({info.sha256[:12]}...); "
                           "is it the right file?")
    if info is not None:
        try:
            info.check_file(file)  # no published hash for many files: the plugin checks what is inside
        except UserError as error:
            reason = str(error).removeprefix(f"{file}: ").removesuffix("; is it the right file?")
            raise WeightsError(f"{file}: not usable as {name!r} ({reason}); is it the right file?") from None
    index = local_files()
    index[name] = {"path": str(file), "sha256": digest}
    write_atomic(_index_path(), json.dumps(index, indent=2).encode())
    return digest


def cached_path(info: WeightsInfo) -> Path:
    return weights_dir() / info.filename


def cache_status(info: WeightsInfo) -> str:
    """A short human description: where the file is and whether its hash was checked."""
    local = local_files().get(info.name)
    if local is not None:
        return f"local file {local['path']}" + ("" if Path(local["path"]).is_file() else " (MISSING)")
    path = cached_path(info)
    if path.is_file():
        return "cached, verified" if info.sha256 and _verified(path, info.sha256) else "cached"
    return "not downloaded" + (f" ({info.url})" if info.url else "")


def _verified(path: Path, sha256: str) -> bool:
    stamp = path.with_name(path.name + ".sha256")
    if stamp.is_file() and stamp.read_text().strip() == sha256:
        return stamp.stat().st_mtime >= path.stat().st_mtime
    if sha256_of(path) != sha256:
        return False
    write_atomic(stamp, sha256.encode())
    return True


def resolve(info: WeightsInfo, download: Callable[[str, Path], None] | None = None) -> Path:
    """The local path of a named weight file, downloading it when needed (see module docstring)."""
    local = local_files().get(info.name)
    if local is not None:
        path = Path(local["path"])
        if not path.is_file():
            raise WeightsError(f"weights {info.name!r}: the registered file {path} is gone; "
                               f"run `invgen weights add {info.name} FILE` again")
        return path
    path = cached_path(info)
    if path.is_file():
        if info.sha256 and not _verified(path, info.sha256):
            raise WeightsError(f"weights {info.name!r}: {path} fails its sha256 check; delete it to download again")
        return path
    if not info.url:
        raise WeightsError(f"weights {info.name!r} are not available: run `invgen weights add {info.name} FILE`")
    try:
        (download or fetch)(info.url, path)
    except OSError as error:
        raise WeightsError(
            f"weights {info.name!r} could not be downloaded ({error}); fetch {info.url} yourself "
            f"and run `invgen weights add {info.name} FILE`"
        ) from None
    if info.sha256 and not _verified(path, info.sha256):
        path.unlink()
        raise WeightsError(f"weights {info.name!r}: the download from {info.url} fails its sha256 check")
    return path


def named_info(name: str) -> WeightsInfo:
    """The registered weight file ``name``, or a one-line error listing the known names."""
    from invgen.registry.manager import registry

    known = registry().weights
    if name not in known:
        listing = ", ".join(sorted(known)) or "none registered"
        raise WeightsError(f"unknown weights {name!r} (known: {listing})")
    return known[name]


def resolve_named(name: str) -> Path:
    """The local path of the registered weight file ``name`` (see :func:`resolve`)."""
    return resolve(named_info(name))


def fetch(url: str, target: Path) -> None:
    """Download ``url`` to ``target`` with a progress bar, resuming a ``.part`` file, renaming at the end."""
    import urllib.request

    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    have = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        resumed = response.status == 206
        total = int(response.headers.get("Content-Length") or 0) + (have if resumed else 0)
        with open(partial, "ab" if resumed else "wb") as stream, Progress(
            "[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            transient=True,
        ) as progress:
            task = progress.add_task(target.name, total=total or None, completed=have if resumed else 0)
            for block in iter(lambda: response.read(CHUNK), b""):
                stream.write(block)
                progress.advance(task, len(block))
    os.replace(partial, target)
