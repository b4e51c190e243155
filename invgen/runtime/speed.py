"""Which implementations run: the optimised paths (the default) or the plain ones they replaced.

Plugins with a faster implementation of the same equations consult :func:`fast_paths` and keep
the plain one behind it: ``invgen bench --baseline`` measures both in one process, and tests
check that the two agree. :func:`kept_memory` is the allocator setting of the fast path.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import sys
import threading
from contextvars import ContextVar
from typing import Iterator

_FAST = ContextVar("invgen_fast_paths", default=True)
_MALLOC_TRIM_THRESHOLD, _MALLOC_MMAP_MAX = -1, -4  # glibc mallopt parameters (malloc.h)
_DEFAULT_TRIM_THRESHOLD, _DEFAULT_MMAP_MAX = 128 * 1024, 65536  # glibc's defaults (M_TRIM_THRESHOLD, M_MMAP_MAX)
_lock = threading.Lock()
_state = {"depth": 0}


def fast_paths() -> bool:
    """True unless inside :func:`plain_paths`: plugins pick their optimised implementation then."""
    return _FAST.get()


@contextlib.contextmanager
def plain_paths() -> Iterator[None]:
    """Run the plain implementations inside this block (the benchmark's baseline; reference in tests)."""
    token = _FAST.set(False)
    try:
        yield
    finally:
        _FAST.reset(token)


@contextlib.contextmanager
def kept_memory() -> Iterator[bool]:
    """Inside this block glibc's malloc keeps freed memory for reuse instead of mapping large tensors afresh.

    By default each allocation over a few MB is a new memory mapping, and the kernel faults in and
    zeroes every page of it on first write: at 1024 px that was over half of a CPU optimisation
    step. A solve allocates the same tensors at every step, so inside the block memory stays at
    the step's peak and nothing faults. Leaving the outermost block restores glibc's settings and
    returns the free memory to the system (``malloc_trim``), so that work of other shapes that
    follows starts from a clean heap. Yields False (and changes nothing) where the C library is
    not glibc.
    """
    libc = _glibc()
    if libc is None:
        yield False
        return
    with _lock:
        if _state["depth"] == 0:
            libc.mallopt(_MALLOC_MMAP_MAX, 0)
            libc.mallopt(_MALLOC_TRIM_THRESHOLD, -1)  # as size_t: never trim
        _state["depth"] += 1
    try:
        yield True
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                libc.mallopt(_MALLOC_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
                libc.mallopt(_MALLOC_MMAP_MAX, _DEFAULT_MMAP_MAX)
                libc.malloc_trim(0)


def memory_kept() -> bool:
    """Whether a :func:`kept_memory` block is open."""
    return _state["depth"] > 0


@functools.lru_cache(maxsize=1)
def _glibc() -> ctypes.CDLL | None:
    """The process's C library when it is glibc (its mallopt and malloc_trim), else None."""
    import platform

    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(None)  # the symbols already loaded into this process, libc's among them
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
