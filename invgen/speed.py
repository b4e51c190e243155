"""Which implementations run: the optimised paths (the default) or the plain ones they replaced.

Plugins with a faster implementation of the same equations consult :func:`fast_paths` and keep
the plain one behind it: ``invgen bench --baseline`` measures both in one process, and tests
check that the two agree. :func:`keep_freed_memory` is the allocator setting of the fast path.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import contextlib
from contextvars import ContextVar
from typing import Iterator

_FAST = ContextVar("invgen_fast_paths", default=True)
_MALLOC_TRIM_THRESHOLD, _MALLOC_MMAP_MAX = -1, -4  # glibc mallopt parameters (malloc.h)
_state = {"kept": False}


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


def keep_freed_memory() -> bool:
    """Have glibc's malloc keep freed memory for reuse instead of mapping every large tensor afresh.

    By default each allocation over a few MB is a new memory mapping, and the kernel faults in and
    zeroes every page of it on first write: at 1024 px that was over half of a CPU optimisation
    step. Afterwards the process keeps its peak memory until it exits (no higher than the peak
    itself). Process-wide and one-way; a no-op returning False where the C library is not glibc.
    """
    if _state["kept"]:
        return True
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):
        return False
    if mallopt is None or not mallopt(_MALLOC_MMAP_MAX, 0) or not mallopt(_MALLOC_TRIM_THRESHOLD, -1):
        return False
    _state["kept"] = True
    return True


def allocator_kept() -> bool:
    """Whether :func:`keep_freed_memory` has applied in this process."""
    return _state["kept"]
