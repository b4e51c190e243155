"""The plugin's C kernels (``csrc/*.c``), compiled on first use by the machine's C compiler and kept.

Winograd's tile transforms (:mod:`invgen_stylegan2.fast.winograd`) are single passes over memory,
which PyTorch can only express as a gather plus small batched products, three to four times
slower; in C each is one pass. A library is built with ``cc -O3 -march=native -fopenmp`` into
``$INVGEN_HOME/native`` (:func:`invgen.plugin.data_home`), named by a hash of its source, the
compiler and the CPU, so a home folder shared by a cluster's different machines keeps one per
kind of CPU and a stale one is never loaded. Loaded after PyTorch, its OpenMP runtime is
PyTorch's own (``libgomp.so.1``, already in the process), so its threads are PyTorch's and
neither pool spins on a core while the other works; if another runtime was loaded instead, the
kernels run on one thread.

Only on Linux; without a compiler, with ``INVGEN_NATIVE=0``, or when the build fails,
:func:`library` is None and callers keep their PyTorch form. :func:`status` says which, and why.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from importlib import resources
from pathlib import Path

SOURCE = "winograd_transforms.c"
FLAGS = ("-O3", "-march=native", "-fPIC", "-shared", "-fopenmp")
_SIGNATURE = [ctypes.c_void_p, ctypes.c_void_p] + [ctypes.c_int64] * 4 + [ctypes.c_int, ctypes.c_int]

_lock = threading.Lock()
_state: dict[str, object] = {}  # "library": the CDLL or None, "status": why, "shared_runtime": PyTorch's OpenMP


def library() -> ctypes.CDLL | None:
    """The compiled kernels (``winograd_input_tiles``, ``winograd_output_blocks``), or None (see :func:`status`)."""
    with _lock:
        if "library" not in _state:
            _state["library"], _state["status"], _state["shared_runtime"] = _load()
    return _state["library"]  # type: ignore[return-value]


def status() -> str:
    """One line: whether the kernels are in use, from which file, or why not."""
    library()
    return str(_state["status"])


def threads() -> int:
    """Threads for a kernel call: PyTorch's count when the kernels share its OpenMP runtime, else one."""
    import torch

    library()
    return torch.get_num_threads() if _state["shared_runtime"] else 1


def forget() -> None:
    """Drop what this process loaded or decided, so that the next :func:`library` looks again (for tests)."""
    with _lock:
        _state.clear()


def _load() -> tuple[ctypes.CDLL | None, str, bool]:
    if os.environ.get("INVGEN_NATIVE", "1") == "0":
        return None, "off: INVGEN_NATIVE=0", False
    if not sys.platform.startswith("linux"):
        return None, f"off: C kernels are built on Linux only, not {sys.platform}", False
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not compiler or not shutil.which(compiler):
        return None, "off: no C compiler (install gcc, or set CC)", False
    source = resources.files(__package__).joinpath("csrc", SOURCE).read_bytes()
    try:
        version = subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"off: {compiler} --version failed ({error})", False
    key = hashlib.sha256(b"\0".join([source, compiler.encode(), version.encode(), " ".join(FLAGS).encode(),
                                     _cpu().encode()])).hexdigest()[:16]
    path = _home() / f"{Path(SOURCE).stem}-{key}.so"
    if not path.exists():
        error = _build(compiler, source, path)
        if error:
            return None, f"off: {error}", False
    importlib.import_module("torch")  # PyTorch's OpenMP runtime must be in the process before the library

    before = _openmp_runtimes()
    try:
        loaded = ctypes.CDLL(str(path))
    except OSError as error:
        return None, f"off: {path} did not load ({error})", False
    for name in ("winograd_input_tiles", "winograd_output_blocks"):
        function = getattr(loaded, name)
        function.argtypes, function.restype = _SIGNATURE, ctypes.c_int
    shared = _openmp_runtimes() == before  # no runtime of its own came with it
    threading_note = "" if shared else " (one thread: it loaded an OpenMP runtime other than PyTorch's)"
    return loaded, f"on: {path}{threading_note}", shared


def _build(compiler: str, source: bytes, path: Path) -> str | None:
    """Compile ``source`` to ``path`` (written whole or not at all); the error's first line, or None."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=path.parent) as folder:
            source_file, built = Path(folder) / SOURCE, Path(folder) / path.name
            source_file.write_bytes(source)
            done = subprocess.run([compiler, *FLAGS, "-o", str(built), str(source_file)], capture_output=True,
                                  text=True, timeout=300)
            if done.returncode != 0:
                lines = (done.stderr or done.stdout).strip().splitlines()
                return f"{compiler} could not build {SOURCE}: {lines[0] if lines else f'exit {done.returncode}'}"
            os.replace(built, path)
    except subprocess.SubprocessError as error:
        return f"{compiler} failed ({error})"
    except OSError as error:  # an unwritable or missing $INVGEN_HOME, a compiler that cannot start
        return f"cannot build into {path.parent} ({error.strerror or error})"
    return None


def _home() -> Path:
    from invgen.plugin import data_home

    return data_home() / "native"


def _cpu() -> str:
    """What -march=native depends on: the CPU's model and instruction-set flags."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.machine()
    wanted = ("model name", "flags", "Features", "CPU implementer", "CPU part")
    return platform.machine() + "".join(sorted({line for line in info.splitlines() if line.startswith(wanted)}))


def _openmp_runtimes() -> set[str]:
    """The OpenMP runtime files mapped into this process (by file name: PyTorch's and a system copy differ)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return set()
    names = ("libgomp", "libiomp", "libomp")
    return {os.path.realpath(line.split()[-1]) for line in maps.splitlines()
            if line.split()[-1:] and Path(line.split()[-1]).name.startswith(names)}
