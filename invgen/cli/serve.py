"""``invgen serve``: the local page (gradio, the optional ``serve`` extra)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Optional

import typer

from invgen.errors import INTERRUPTED
from invgen.runtime.reporting import reported_errors

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
EXTRA = "pip install 'invgen-core[serve]'"


def serve(
    generator: Optional[str] = typer.Option(None, "--generator", "-g", help="Generator chosen when the page opens "
                                                                            "(default: stylegan2-mnist32)."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu, cuda or cuda:N."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; anything but this machine makes "
                                                         "the page reachable by others (a warning says so)."),
    port: int = typer.Option(7860, "--port", min=1, max=65535, help="Port to listen on."),
    max_upload: str = typer.Option("10mb", "--max-upload", help="Largest upload accepted, e.g. 10mb."),
) -> None:
    """A local page: upload or pick an image, paint what to hide, see the reconstruction, samples and uncertainty."""
    with reported_errors():
        from invgen.errors import UsageError

        upload_bytes = _size_in_bytes(max_upload)
        if not _importable("gradio"):
            raise UsageError(f"invgen serve needs gradio, which is not installed: {EXTRA}")
        if host not in LOCAL_HOSTS:
            print(f"invgen: warning: listening on {host}: anyone who can reach this machine can use the page and "
                  "its compute (use --host 127.0.0.1 to keep it local)", file=sys.stderr)
        root = Path(tempfile.mkdtemp(prefix="invgen-serve-"))
        _keep_writes_in(root)
        try:
            from invgen.serve.jobs import Workspace
            from invgen.serve.page import Server, build_page, launch

            print(f"invgen serve: working folder {root} (removed when the server stops)", file=sys.stderr)
            server = Server(Workspace(root), device)
            stopped = launch(build_page(server, generator), server, host, port, upload_bytes)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        if stopped:
            print("invgen serve: stopped; working folder removed", file=sys.stderr)
            raise typer.Exit(INTERRUPTED)


def _importable(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it (gradio must see our settings first)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a module set to None in sys.modules, or a broken one
        return False


def _keep_writes_in(root: Path) -> None:
    """Point every cache and temporary folder of gradio, matplotlib and torch into ``root``."""
    os.environ["GRADIO_TEMP_DIR"] = str(root / "gradio")  # uploads and copies of results
    os.environ["GRADIO_EXAMPLES_CACHE"] = str(root / "examples")
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # no telemetry, no version check
    os.environ.pop("GRADIO_SHARE", None)  # never a public tunnel (launch also passes share=False)
    os.environ.setdefault("MPLCONFIGDIR", str(root / "matplotlib"))  # the figures' font cache
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(root / "torch"))
    tempfile.tempdir = str(root / "tmp")
    (root / "tmp").mkdir()


SIZE_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}


def _size_in_bytes(text: str) -> int:
    """``10mb``, ``512kb``, ``1gib`` or a number of bytes -> bytes; a usage error names the option otherwise."""
    from invgen.errors import UsageError

    cleaned = text.strip().lower().replace(" ", "")
    number = cleaned.rstrip("kmgib")
    unit = cleaned[len(number):] or "b"
    try:
        value = float(number) * SIZE_UNITS[unit]
    except (KeyError, ValueError):
        value = float("nan")
    if not 1 <= value < 1 << 40:
        raise UsageError(f"--max-upload {text!r}: give a size such as 10mb, 512kb or 1gb")
    return int(value)
