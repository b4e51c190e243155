"""The ``invgen`` command line (typer + rich). Modules here import torch only inside commands."""

from invgen.cli.app import main

__all__ = ["main"]
