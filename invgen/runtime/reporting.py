"""Errors as the CLI shows them: one line on stderr and the error's exit code (a traceback with ``--debug``).

Core commands and plugins' commands wrap their bodies in :func:`reported_errors`; it is part of
the public plugin API (:mod:`invgen.plugin`). Nothing here imports torch.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

import typer
from rich.console import Console

from invgen.errors import INTERRUPTED, UserError, exit_code_of

stderr = Console(stderr=True)
_state = {"debug": False}


def set_debug(debug: bool) -> None:
    """Show full tracebacks instead of one-line errors (the ``--debug`` option)."""
    _state["debug"] = debug


def debugging() -> bool:
    return _state["debug"]


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn exceptions into one line on stderr and the error's exit code (full traceback with --debug)."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except KeyboardInterrupt:
        print("invgen: interrupted", file=sys.stderr)
        raise typer.Exit(INTERRUPTED) from None
    except Exception as error:  # noqa: BLE001 - the CLI's single place for user-facing errors
        if _state["debug"]:
            raise
        print(f"invgen: error: {one_line(error)}", file=sys.stderr)
        raise typer.Exit(exit_code_of(error)) from None


def one_line(error: BaseException) -> str:
    """An error as one line; unexpected error types also name their type and point to --debug."""
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, (UserError, FileNotFoundError, PermissionError)):
        return text
    return f"{type(error).__name__}: {text} (rerun with --debug for the traceback)"
