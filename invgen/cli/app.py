"""The typer application: global options, error reporting, and plugin-provided sub-commands."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator, Optional

import typer
from rich.console import Console

from invgen import __version__
from invgen.errors import UserError

stderr = Console(stderr=True)
_state = {"debug": False}


def _show_version(value: bool) -> None:
    if value:
        print(f"invgen {__version__}")
        raise typer.Exit()


def _global_options(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: Optional[bool] = typer.Option(None, "--version", callback=_show_version, is_eager=True,
                                           help="Print the version and exit."),
) -> None:
    _state["debug"] = debug


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn exceptions into one line on stderr and a non-zero exit (full traceback with --debug)."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except KeyboardInterrupt:
        print("invgen: interrupted", file=sys.stderr)
        raise typer.Exit(130) from None
    except Exception as error:  # noqa: BLE001 - the CLI's single place for user-facing errors
        if _state["debug"]:
            raise
        print(f"invgen: error: {one_line(error)}", file=sys.stderr)
        raise typer.Exit(_exit_code(error)) from None


def one_line(error: BaseException) -> str:
    """An error as one line; unexpected error types also name their type and point to --debug."""
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, (UserError, FileNotFoundError, PermissionError)):
        return text
    return f"{type(error).__name__}: {text} (rerun with --debug for the traceback)"


def _exit_code(error: BaseException) -> int:
    from invgen.spec import SpecError

    return 2 if isinstance(error, SpecError) else 1


def create_app() -> typer.Typer:
    """A new application with the core's commands and every plugin's ``register_commands``."""
    from invgen.cli import corrupt, evaluate, listing, run
    from invgen.cli.weights import weights_app
    from invgen.plugins import manager

    app = typer.Typer(
        name="invgen",
        help="Bayesian image reconstruction with pre-trained generative models.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.callback()(_global_options)
    app.command("run")(run.run)
    app.command("corrupt")(corrupt.corrupt)
    app.command("eval")(evaluate.evaluate)
    app.command("list")(listing.list_components)
    app.command("plugins")(listing.list_plugins)
    app.add_typer(weights_app, name="weights")
    plugins = manager()
    for plugin_name, function in plugins.implementations("register_commands"):
        try:
            function(app)
        except Exception as error:  # noqa: BLE001 - a faulty plugin must not break the CLI
            plugins.record_failure(plugin_name, error)
    plugins.report_failures()
    return app


def main() -> None:
    """Console-script entry point."""
    try:
        application = create_app()
    except Exception as error:  # noqa: BLE001 - e.g. a strict plugin failure
        if "--debug" in sys.argv:
            raise
        print(f"invgen: error: {one_line(error)}", file=sys.stderr)
        raise SystemExit(1) from None
    application()
