"""Markdown tables for docs/performance.md from `invgen bench --json` files (the figures as measured).

Run: .venv/bin/python scripts/bench_tables.py docs/results/bench/cpu-default.json [...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def table(record: dict) -> str:
    """One row per generator x workload x batch x precision: fast, baseline, ratio, warm-up, peak memory."""
    rows: dict[tuple, dict] = {}
    for m in record["measurements"]:
        key = (m["generator"], m["workload"], m["batch"], m["precision"])
        rows.setdefault(key, {})[m["path"]] = m
    paths = sorted({m["path"] for m in record["measurements"]}, key=["fast", "baseline", "compiled"].index)
    head = ["generator", "workload", "batch", "precision", *(f"{p} ms" for p in paths)]
    head += ["baseline / fast"] if "baseline" in paths else []
    head += ["fast / compiled"] if "compiled" in paths else []
    head += ["warm-up s (fast)"] + (["warm-up s (compiled)"] if "compiled" in paths else []) + ["peak MB (fast)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, by_path in rows.items():
        fast = by_path.get("fast", {})
        cells = [key[0], key[1], str(key[2]), key[3], *(_ms(by_path.get(p)) for p in paths)]
        if "baseline" in paths:
            cells.append(_ratio(by_path.get("baseline"), fast))
        if "compiled" in paths:
            cells.append(_ratio(fast, by_path.get("compiled")))
        cells.append(_number(fast.get("warmup_s"), 1))
        if "compiled" in paths:
            cells.append(_number((by_path.get("compiled") or {}).get("warmup_s"), 1))
        cells.append(_number(fast.get("peak_memory_mb"), 0))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _ms(m: dict | None) -> str:
    if not m:
        return "-"
    return "skipped" if m["skipped"] else f"{m['ms_per_image_step']:.1f}"


def _ratio(slow: dict | None, fast: dict | None) -> str:
    if not slow or not fast or slow["skipped"] or fast["skipped"]:
        return "-"
    return f"{slow['ms_per_image_step'] / fast['ms_per_image_step']:.2f}x"


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def main() -> None:
    for path in sys.argv[1:]:
        record = json.loads(Path(path).read_text())
        machine = record["machine"]
        print(f"`{record['command']}` ({record['device']}; {machine.get('gpu') or machine['cpu']}, "
              f"{machine['threads']} threads, torch {machine['torch']}):\n")
        print(table(record))
        print()


if __name__ == "__main__":
    main()
