"""The ``invgen`` command line (typer + rich): commands parse options, call the wings below and draw the
results. Modules here import torch only inside commands; only the CLI imports the CLI."""

from invgen.cli.app import main

__all__ = ["main"]
