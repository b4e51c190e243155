"""``invgen list`` and ``invgen plugins``: what is installed, read from the registry (no torch)."""

from __future__ import annotations

import difflib
from typing import Iterable, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from invgen.runtime.reporting import reported_errors
from invgen.registry.params import Param

KIND_WORDS = {"generators": "generator", "forward": "forward", "losses": "loss", "priors": "prior"}
TITLES = {"generator": "Generators", "forward": "Forward models", "loss": "Losses", "prior": "Priors"}
PLUGIN_WIDTH = 24
EXTRA_WORDS = ("presets", "weights", "examples", "tasks", "methods", "baselines", "metrics")


def list_components(
    kind: Optional[str] = typer.Argument(
        None, help="generators, forward, losses, priors, presets, weights, examples, tasks, methods, baselines or "
                   "metrics "
                   "(default: components and presets)"
    ),
    name: Optional[str] = typer.Argument(None, help="One entry of KIND: show it whole (parameters, terms ...)."),
) -> None:
    """List what is installed, one line per entry (name, plugin, summary); KIND NAME shows one entry whole."""
    from invgen.registry.manager import registry

    with reported_errors():
        words = list(KIND_WORDS) + list(EXTRA_WORDS)
        if kind is not None and kind not in words:
            from invgen.errors import SpecError

            raise SpecError(f"unknown kind {kind!r} for `invgen list` (choose from {', '.join(words)})")
        console = Console()
        found = registry()
        if name is not None:
            console.print(_entry_details(kind, name, found))  # type: ignore[arg-type]
            return
        for word in [kind] if kind else list(KIND_WORDS) + ["presets"]:
            console.print(_summary_table(word, _entries(word, found), console.width))
        console.print("[dim]details: invgen info NAME[/dim]")


def info(name: str = typer.Argument(..., help="A registered name: a generator, forward model, loss, prior, preset, "
                                              "weight file, example, task, method, baseline or metric.")) -> None:
    """Show one registered entry whole: its parameters with their defaults and meaning, or a preset's terms."""
    from invgen.registry.manager import registry

    with reported_errors():
        found = registry()
        kinds = [word for word in (*KIND_WORDS, *EXTRA_WORDS) if name in _entries(word, found)]
        if not kinds:
            from invgen.errors import SpecError

            known = {entry for word in (*KIND_WORDS, *EXTRA_WORDS) for entry in _entries(word, found)}
            raise SpecError(f"nothing is registered as {name!r}{_close(name, known)}; `invgen list` shows what is")
        console = Console()
        for word in kinds:
            console.print(_entry_details(word, name, found))


def _entries(word: str, found) -> dict:  # noqa: ANN001 - a Registry
    """The registry's entries of one ``invgen list`` kind, by name."""
    if word in KIND_WORDS:
        return found.components[KIND_WORDS[word]]
    return getattr(found, word)


def _summary(word: str, entry) -> str:  # noqa: ANN001 - any registered entry
    if word == "tasks":
        return " | ".join(entry.specs) + (f": {entry.summary}" if entry.summary else "")
    if word == "examples":
        return f"for {entry.generator}" + (f": {entry.summary}" if entry.summary else "")
    return entry.summary


def _summary_table(word: str, entries: dict, width: int) -> Table:
    """One line per entry at ``width`` columns: long summaries (and plugin names) end in an ellipsis."""
    title = TITLES.get(KIND_WORDS.get(word, ""), word.capitalize())
    table = Table(title=title, title_justify="left", expand=False)
    names = max((len(name) for name in entries), default=6)
    plugins = min(PLUGIN_WIDTH, max((len(entry.plugin) for entry in entries.values()), default=6))
    room = max(12, width - names - plugins - 10)  # 10: the borders and padding of three columns
    table.add_column("name", no_wrap=True)
    table.add_column("plugin", no_wrap=True)
    table.add_column("summary", no_wrap=True)
    for name in sorted(entries):
        summary = " ".join(_summary(word, entries[name]).split())
        table.add_row(name, escape(_clipped(entries[name].plugin, plugins)), escape(_clipped(summary, room)))
    if not entries:
        table.add_row("(none)", "", f"no installed plugin registers {word}")
    return table


def _clipped(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _entry_details(word: str, name: str, found) -> Table:  # noqa: ANN001 - a Registry
    """One entry whole: what it is, its plugin, and its parameters (components), terms (presets) or file."""
    entries = _entries(word, found)
    if name not in entries:
        from invgen.errors import SpecError

        raise SpecError(f"no {word} named {name!r}{_close(name, entries)}; `invgen list {word}` shows them")
    entry = entries[name]
    table = Table(title=f"{name} ({KIND_WORDS.get(word, word.rstrip('s'))})", title_justify="left", show_header=False,
                  show_lines=True)
    table.add_column("field", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_row("summary", escape(_summary(word, entry)) or "-")
    table.add_row("plugin", entry.plugin)
    if word in KIND_WORDS:
        table.add_row("parameters", "\n".join(_describe(param) for param in entry.params) or "-")
    elif word == "presets":
        table.add_row("losses", escape("\n".join(entry.losses)) or "-")
        table.add_row("priors", escape("\n".join(entry.priors)) or "-")
    elif word == "weights":
        from invgen.registry.weights import cache_status

        table.add_row("status", cache_status(entry))
        table.add_row("licence", entry.licence)
    elif word == "examples":
        table.add_row("generator", entry.generator)
        table.add_row("file", str(entry.path))
    return table


def _close(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def _describe(param: Param) -> str:
    text = f"[bold]{param.name}[/bold]={escape(param.describe_default())}  {escape(param.expected())}"
    return text + (f"\n  [dim]{escape(param.doc)}[/dim]" if param.doc else "")


def weights_table(weights: dict) -> Table:
    from invgen.registry.weights import cache_status

    table = Table(title="Weights", title_justify="left", show_lines=True)
    for column in ("name", "status", "description", "licence", "plugin"):
        table.add_column(column, overflow="fold")
    for name in sorted(weights):
        info = weights[name]
        table.add_row(name, cache_status(info), info.summary, info.licence, info.plugin)
    if not weights:
        table.add_row("(none)", "", "no installed plugin registers any", "", "")
    return table


def list_plugins() -> None:
    """List installed plugins with their versions and hooks, and any that failed to load."""
    from invgen.registry.manager import BUILTIN, manager

    with reported_errors():
        plugins = manager()
        table = Table(title="Plugins", title_justify="left")
        for column in ("plugin", "version", "hooks", "status"):
            table.add_column(column, overflow="fold")
        for name, version in plugins.versions.items():
            label = f"{name} (built-in)" if name == BUILTIN else name
            table.add_row(label, version, ", ".join(plugins.hooks_of(name)), "loaded")
        for failure in plugins.failures:
            table.add_row(failure.name, "", "", f"[red]failed[/red]: {failure.error}")
        for name in plugins.disabled:
            table.add_row(name, "", "", "disabled by INVGEN_DISABLE_PLUGINS")
        Console().print(table)
