"""``invgen list`` and ``invgen plugins``: what is installed, read from the registry (no torch)."""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from invgen.runtime.reporting import reported_errors
from invgen.registry.params import Param
from invgen.registry.table import ComponentInfo

KIND_WORDS = {"generators": "generator", "forward": "forward", "losses": "loss", "priors": "prior"}
TITLES = {"generator": "Generators", "forward": "Forward models", "loss": "Losses", "prior": "Priors"}
EXTRA_WORDS = ("presets", "weights", "examples", "tasks", "methods", "baselines", "metrics")


def list_components(
    kind: Optional[str] = typer.Argument(
        None, help="generators, forward, losses, priors, presets, weights, examples, tasks, methods, baselines or "
                   "metrics "
                   "(default: components and presets)"
    ),
) -> None:
    """List registered components with their parameters, defaults and plugins."""
    from invgen.registry.manager import registry

    with reported_errors():
        words = list(KIND_WORDS) + list(EXTRA_WORDS)
        if kind is not None and kind not in words:
            from invgen.errors import SpecError

            raise SpecError(f"unknown kind {kind!r} for `invgen list` (choose from {', '.join(words)})")
        console = Console()
        found = registry()
        chosen = [kind] if kind else list(KIND_WORDS) + ["presets"]
        for word in chosen:
            if word == "presets":
                console.print(_presets_table(found.presets))
            elif word == "weights":
                console.print(weights_table(found.weights))
            elif word == "examples":
                console.print(_examples_table(found.examples))
            elif word in ("tasks", "methods", "baselines", "metrics"):
                console.print(_records_table(word, getattr(found, word)))
            else:
                component_kind = KIND_WORDS[word]
                console.print(_components_table(TITLES[component_kind], found.components[component_kind]))


def _components_table(title: str, components: dict[str, ComponentInfo]) -> Table:
    table = Table(title=title, title_justify="left", show_lines=True)
    for column in ("name", "parameters", "description", "plugin"):
        table.add_column(column, overflow="fold")
    for name in sorted(components):
        info = components[name]
        table.add_row(name, "\n".join(_describe(p) for p in info.params) or "-", info.summary, info.plugin)
    if not components:
        table.add_row("(none)", "", "no installed plugin registers one", "")
    return table


def _describe(param: Param) -> str:
    text = f"[bold]{param.name}[/bold]={escape(param.describe_default())}  {escape(param.expected())}"
    return text + (f"\n  [dim]{escape(param.doc)}[/dim]" if param.doc else "")


def _presets_table(presets: dict) -> Table:
    table = Table(title="Presets", title_justify="left", show_lines=True)
    for column in ("name", "losses", "priors", "description", "plugin"):
        table.add_column(column, overflow="fold")
    for name in sorted(presets):
        preset = presets[name]
        table.add_row(name, "\n".join(preset.losses), "\n".join(preset.priors) or "-", preset.summary, preset.plugin)
    if not presets:
        table.add_row("(none)", "", "", "no installed plugin registers one", "")
    return table


def _records_table(word: str, records: dict) -> Table:
    """Tasks, methods, baselines or metrics for ``invgen eval``, with what each one is."""
    table = Table(title=word.capitalize() + " (for invgen eval)", title_justify="left", show_lines=True)
    for column in ("name", "what", "plugin"):
        table.add_column(column, overflow="fold")
    for name, record in records.items():
        what = " | ".join(record.specs) if word == "tasks" else ""
        table.add_row(name, escape("\n".join(part for part in (what, record.summary) if part)), record.plugin)
    if not records:
        table.add_row("(none)", f"no installed plugin registers {word}", "")
    return table


def _examples_table(examples: dict) -> Table:
    table = Table(title="Example images (offered by invgen serve)", title_justify="left")
    for column in ("name", "generator", "description", "file", "plugin"):
        table.add_column(column, overflow="fold")
    for name in sorted(examples):
        example = examples[name]
        table.add_row(name, example.generator, example.summary, str(example.path), example.plugin)
    if not examples:
        table.add_row("(none)", "", "no installed plugin registers any", "", "")
    return table


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
