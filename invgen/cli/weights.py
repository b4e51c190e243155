"""``invgen weights``: list, add and fetch the named weight files that plugins register."""

from __future__ import annotations

from pathlib import Path

import typer

from invgen.runtime.reporting import reported_errors

weights_app = typer.Typer(help="Named weight files: list, add local copies, fetch.", no_args_is_help=True)


@weights_app.command("list")
def list_weights() -> None:
    """Show every named weight file and whether it is cached and verified."""
    from rich.console import Console

    from invgen.cli.listing import weights_table
    from invgen.registry.manager import registry

    with reported_errors():
        Console().print(weights_table(registry().weights))


@weights_app.command("add")
def add(name: str = typer.Argument(..., help="A registered weights name."),
        file: Path = typer.Argument(..., help="A local copy of that file.")) -> None:
    """Register a local file for NAME (checked against the known sha256), for offline use."""
    from invgen.registry.weights import add_local, named_info

    with reported_errors():
        digest = add_local(name, file, named_info(name))
        typer.echo(f"{name}: using {file.expanduser().resolve()} (sha256 {digest})")


@weights_app.command("path")
def path(name: str = typer.Argument(..., help="A registered weights name.")) -> None:
    """Print the local path of NAME, downloading it first when needed."""
    from invgen.registry.weights import named_info, resolve

    with reported_errors():
        typer.echo(str(resolve(named_info(name))))
