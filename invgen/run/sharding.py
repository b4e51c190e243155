"""This process's share of the inputs, from the launcher's environment or ``--shard I/N``.

No process talks to another: each takes every N-th input of the same sorted list, starting at
its index. ``torchrun`` (or any launcher that sets ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``) and
Slurm job arrays (``SLURM_ARRAY_TASK_ID``/``SLURM_ARRAY_TASK_COUNT``) are read; ``--shard``
overrides both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Sequence, TypeVar

from invgen.errors import UsageError

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    """Process ``index`` of ``count`` (0-based), where that came from, and torchrun's local rank."""

    index: int = 0
    count: int = 1
    source: str = "single process"
    local_rank: int | None = None

    def share(self, items: Sequence[T]) -> list[T]:
        """Every ``count``-th item from ``index``: disjoint across processes, together all of them."""
        return list(items[self.index::self.count])

    @property
    def label(self) -> str:
        return f"{self.index}-of-{self.count}"


def detect_shard(option: str | None = None, environ: Mapping[str, str] | None = None) -> Shard:
    """The shard given by ``--shard I/N``, else torchrun's ranks, else a Slurm array task, else the only one."""
    env = os.environ if environ is None else environ
    if option:
        return _parse(option)
    if "RANK" in env and "WORLD_SIZE" in env:
        local = env.get("LOCAL_RANK")
        return _checked(_int(env, "RANK"), _int(env, "WORLD_SIZE"), "torchrun (RANK/WORLD_SIZE)",
                        int(local) if local and local.isdigit() else None)
    if "SLURM_ARRAY_TASK_ID" in env and "SLURM_ARRAY_TASK_COUNT" in env:
        first = int(env.get("SLURM_ARRAY_TASK_MIN", "0"))
        step = int(env.get("SLURM_ARRAY_TASK_STEP", "1") or 1)
        index = (_int(env, "SLURM_ARRAY_TASK_ID") - first) // step
        return _checked(index, _int(env, "SLURM_ARRAY_TASK_COUNT"), "Slurm job array")
    return Shard()


def _parse(option: str) -> Shard:
    index, sep, count = option.partition("/")
    if not sep or not index.strip().isdigit() or not count.strip().isdigit():
        raise UsageError(f"--shard {option!r}: write I/N with 0 <= I < N, e.g. --shard 0/4")
    return _checked(int(index), int(count), "--shard")


def _checked(index: int, count: int, source: str, local_rank: int | None = None) -> Shard:
    if count < 1 or not 0 <= index < count:
        raise UsageError(f"{source}: shard {index} of {count} is impossible; the index must be in 0..{count - 1}")
    return Shard(index, count, source, local_rank)


def _int(env: Mapping[str, str], key: str) -> int:
    try:
        return int(env[key])
    except ValueError:
        raise UsageError(f"{key}={env[key]!r} is not a whole number; fix the launcher's environment") from None
