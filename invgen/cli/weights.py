"""``invgen weights``: list, add and fetch the named weight files that plugins register."""

from __future__ import annotations

from pathlib import Path

import typer

from invgen.cli.app import reported_errors

weights_app = typer.Typer(help="Named weight files: list, add local copies, fetch.", no_args_is_help=True)


def _info(name: str):  # noqa: ANN202 - WeightsInfo, imported lazily
    from invgen.plugins import registry
    from invgen.weights import WeightsError

    known = registry().weights
    if name not in known:
        listing = ", ".join(sorted(known)) or "none registered"
        raise WeightsError(f"unknown weights {name!r} (known: {listing})")
    return known[name]


@weights_app.command("list")
def list_weights() -> None:
    """Show every named weight file and whether it is cached and verified."""
    from rich.console import Console

    from invgen.cli.listing import weights_table
    from invgen.plugins import registry

    with reported_errors():
        Console().print(weights_table(registry().weights))


@weights_app.command("add")
def add(name: str = typer.Argument(..., help="A registered weights name."),
        file: Path = typer.Argument(..., help="A local copy of that file.")) -> None:
    """Register a local file for NAME (checked against the known sha256), for offline use."""
    from invgen.weights import add_local

    with reported_errors():
        digest = add_local(name, file, _info(name))
        typer.echo(f"{name}: using {file.expanduser().resolve()} (sha256 {digest})")


@weights_app.command("path")
def path(name: str = typer.Argument(..., help="A registered weights name.")) -> None:
    """Print the local path of NAME, downloading it first when needed."""
    from invgen.weights import resolve

    with reported_errors():
        typer.echo(str(resolve(_info(name))))
