"""``invgen bench``: milliseconds per image-step by generator, workload, batch and precision."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import List, Optional

import typer

from invgen.runtime.reporting import reported_errors


def bench(
    generator: Optional[List[str]] = typer.Option(None, "--generator", "-g", help="Generator spec; repeatable "
                                                  "(default: the ones plugins register for benchmarks)."),
    workload: List[str] = typer.Option(["synthesis", "map"], "--workload", "-w",
                                       help="synthesis (G forward+backward), map (the generator's default MAP "
                                            "objective) or a preset's full objective (e.g. pixel); repeatable."),
    batch: List[int] = typer.Option([1, 8, 32], "--batch", "-b", min=1, help="Images per step; repeatable."),
    precision: Optional[List[str]] = typer.Option(None, "--precision", "-p", help="fp32, bf16 or tf32 (CUDA); "
                                                  "repeatable (default: fp32 and bf16, and tf32 on CUDA)."),
    forward: str = typer.Option("identity", "--forward", "-f", help="Forward model spec of the objective workloads."),
    baseline: bool = typer.Option(False, "--baseline", help="Also measure the plain path these replaced, in this "
                                                            "process, and print the speed-up."),
    compile_step: bool = typer.Option(False, "--compile", help="Also measure torch.compile of the step "
                                                               "(compile time is in the warm-up column)."),
    compile_mode: str = typer.Option("default", "--compile-mode", help="torch.compile's mode for --compile: "
                                     "default, reduce-overhead (CUDA graphs: for small models on CUDA), "
                                     "max-autotune-no-cudagraphs or max-autotune."),
    repeats: int = typer.Option(5, "--repeats", min=1, help="Timed steps per cell after the warm-up (median)."),
    warmup: int = typer.Option(1, "--warmup", min=1, help="Untimed steps per cell first (their seconds are the "
                                                          "warm-up column); the fast path's kept memory settles "
                                                          "within a few steps."),
    budget: float = typer.Option(120.0, "--budget", min=1.0, help="Skip a cell that a smaller batch predicts to "
                                                                  "take longer than this many seconds."),
    memory_limit: Optional[float] = typer.Option(None, "--memory-limit", min=0.1, help="GB a cell may be predicted "
                                                 "to use before it is skipped (default: 85% of RAM, 95% of the "
                                                 "GPU's memory); the prediction scales a smaller batch's growth."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu, cuda or cuda:N."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Also write every measurement and the machine "
                                                                  "to this file (rewritten after each cell)."),
) -> None:
    """Measure ms per image-step (forward + backward) to choose batch size and precision on this machine."""
    with reported_errors():
        from rich.console import Console

        from invgen.evaluation.benchmark import Plan, check_plan, default_generators, machine, measure_all, speedups
        from invgen.runtime.device import resolve_device

        chosen = resolve_device(device)
        precisions = precision or (["fp32", "bf16", "tf32"] if chosen.type == "cuda" else ["fp32", "bf16"])
        paths = ["fast"] + (["baseline"] if baseline else []) + (["compiled"] if compile_step else [])
        plan = Plan(tuple(generator or default_generators()), tuple(workload), tuple(batch), tuple(precisions),
                    tuple(paths), forward=forward, repeats=repeats, budget_s=budget, warmup=warmup,
                    memory_limit_mb=None if memory_limit is None else memory_limit * 1024,
                    compile_mode=compile_mode)
        check_plan(plan, chosen)  # a mistake is one line, before the machine's header
        console = Console(stderr=True)
        about = machine()
        console.print(f"[bold]{chosen}[/bold]  " + "  ".join(f"{k}={v}" for k, v in about.items()))
        command = "invgen bench " + " ".join(shlex.quote(a) for a in sys.argv[2:])
        done: list = []
        notes: dict[str, dict[str, str]] = {}

        def save() -> None:
            if json_path is not None:
                from invgen.io.atomic import write_atomic

                saved = {"command": command, "device": str(chosen), "machine": about, "speed_notes": notes,
                         "warmup_steps": warmup, "repeats": repeats, "compile_mode": compile_mode,
                         "measurements": [m.record() for m in done], "speedups": speedups(done)}
                write_atomic(json_path, (json.dumps(saved, indent=2) + "\n").encode())

        def record(measurement) -> None:  # noqa: ANN001 - each cell is printed and saved as soon as it is measured
            done.append(measurement)
            console.print(_line(measurement))
            save()

        def noted(spec: str, generator_notes: dict[str, str]) -> None:
            notes[spec] = generator_notes
            for name, state in generator_notes.items():
                console.print(f"{spec}: {name}: {state}")

        save()  # an unwritable --json is found before any measurement
        results = measure_all(plan, chosen, on_result=record, on_notes=noted)
        for table in _tables(results, paths, notes):
            Console().print(table, crop=False)  # too wide for the terminal: wrapped lines, never lost columns
        if json_path is not None:
            console.print(f"written to {json_path}")


def _line(measurement) -> str:  # noqa: ANN001 - invgen.evaluation.benchmark.Measurement, imported lazily
    cell = measurement.cell
    where = f"{cell.generator} {cell.workload} batch {cell.batch} {cell.precision} {cell.path}"
    if measurement.skipped:
        return f"{where}: skipped: {measurement.skipped}"
    return f"{where}: {measurement.ms_per_image_step:.2f} ms per image-step (warm-up {measurement.warmup_s:.1f} s)"


def _tables(results, paths, notes):  # noqa: ANN001, ANN202 - rich and invgen.evaluation.benchmark, imported lazily
    """A table per generator (its spec in the title: long specs would crowd out the numbers in an 80-column
    terminal or a log; its speed notes under it); a row per workload x batch x precision; a column per path, and
    the speed-ups."""
    from rich import box
    from rich.table import Table

    groups: dict[str, dict[tuple, dict]] = {}
    for m in results:
        key = (m.cell.workload, m.cell.batch, m.cell.precision)
        groups.setdefault(m.cell.generator, {}).setdefault(key, {})[m.cell.path] = m
    numbers = [*paths, *(f"{other} / fast" if other == "baseline" else "fast / compiled" for other in paths[1:]),
               "warm-up s", *(["compile s"] if "compiled" in paths else []), "peak MB"]
    tables = []
    for generator, rows in groups.items():
        caption = "; ".join(f"{name}: {state}" for name, state in notes.get(generator, {}).items()) or None
        table = Table(title=f"{generator}: ms per image-step (forward + backward; median after the warm-up)",
                      title_justify="left", caption=caption, caption_justify="left", box=box.SIMPLE_HEAD,
                      collapse_padding=True, pad_edge=False)
        body = []
        for key, by_path in rows.items():
            fast = by_path.get("fast")
            cells = [_ms(by_path.get(path)) for path in paths]
            for other in paths[1:]:
                ratio = _ratio(by_path.get(other), fast) if other == "baseline" else _ratio(fast, by_path.get(other))
                cells.append(ratio)
            cells.append(_seconds(fast))
            if "compiled" in paths:
                cells.append(_seconds(by_path.get("compiled")))
            peak = f"{fast.peak_memory_mb:,.0f}" if fast is not None and fast.peak_memory_mb is not None else "-"
            body.append([key[0], str(key[1]), key[2], *cells, peak])
        for index, title in enumerate(("workload", "batch", "precision", *numbers)):
            numeric = title not in ("workload", "precision")  # headers may wrap, cells never do
            table.add_column(title, justify="right" if numeric else "left", overflow="fold",
                             min_width=max(len(row[index]) for row in body))
        for row in body:
            table.add_row(*row)
        tables.append(table)
    return tables


def _ms(measurement) -> str:  # noqa: ANN001
    if measurement is None:
        return "-"
    return "skipped" if measurement.skipped else f"{measurement.ms_per_image_step:.2f}"


def _seconds(measurement) -> str:  # noqa: ANN001 - the warm-up step (with compilation, for compiled cells)
    return "-" if measurement is None or measurement.warmup_s is None else f"{measurement.warmup_s:.1f}"


def _ratio(slow, fast) -> str:  # noqa: ANN001
    if slow is None or fast is None or slow.skipped or fast.skipped:
        return "-"
    return f"{slow.ms_per_image_step / fast.ms_per_image_step:.2f}x"
