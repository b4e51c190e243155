"""The typer application: global options, error reporting, and plugin-provided sub-commands."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from invgen import __version__
from invgen.errors import INTERRUPTED, exit_code_of
from invgen.runtime.reporting import one_line, set_debug


def _show_version(value: bool) -> None:
    if value:
        print(f"invgen {__version__}")
        raise typer.Exit()


def _global_options(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: Optional[bool] = typer.Option(None, "--version", callback=_show_version, is_eager=True,
                                           help="Print the version and exit."),
) -> None:
    set_debug(debug)


def create_app() -> typer.Typer:
    """A new application with the core's commands and every plugin's ``register_commands``."""
    from invgen.cli.align import align
    from invgen.cli.bench import bench
    from invgen.cli.calibrate import calibrate
    from invgen.cli.corrupt import corrupt
    from invgen.cli.evaluate import evaluate
    from invgen.cli.index import index_app
    from invgen.cli.listing import info, list_components, list_plugins
    from invgen.cli.render import render
    from invgen.cli.run import run
    from invgen.cli.serve import serve
    from invgen.cli.tune import tune
    from invgen.cli.weights import weights_app
    from invgen.registry.manager import manager

    app = typer.Typer(
        name="invgen",
        help="Bayesian image reconstruction with pre-trained generative models.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.callback()(_global_options)
    app.command("run")(run)
    app.command("render")(render)
    app.command("align")(align)
    app.command("corrupt")(corrupt)
    app.command("eval")(evaluate)
    app.command("calibrate")(calibrate)
    app.command("tune")(tune)
    app.command("bench")(bench)
    app.command("list")(list_components)
    app.command("info")(info)
    app.command("plugins")(list_plugins)
    app.command("serve")(serve)
    app.add_typer(weights_app, name="weights")
    app.add_typer(index_app, name="index")
    plugins = manager()
    for plugin_name, function in plugins.implementations("register_commands"):
        try:
            function(app)
        except (Exception, SystemExit) as error:  # noqa: BLE001 - a faulty plugin must not break the CLI
            plugins.record_failure(plugin_name, error)
    plugins.report_failures()
    return app


def main() -> None:
    """Console-script entry point: every error is one line on stderr with its exit code (option mistakes
    included), and SIGTERM is handled as Ctrl-C (the best result so far is kept, exit 130)."""
    from invgen.runtime.signals import terminate_as_interrupt

    terminate_as_interrupt()
    try:
        application = create_app()
    except Exception as error:  # noqa: BLE001 - e.g. a strict plugin failure
        if "--debug" in sys.argv:
            raise
        print(f"invgen: error: {one_line(error)}", file=sys.stderr)
        raise SystemExit(exit_code_of(error)) from None
    raise SystemExit(run_cli(application))


def run_cli(application: typer.Typer, args: list[str] | None = None) -> int:
    """Run the CLI; option and argument mistakes (click's errors: typer may carry its own copy of click, so
    they are recognised by shape) become one line naming the option and ``--help``."""
    try:
        code = application(args=args, prog_name="invgen", standalone_mode=False)
    except KeyboardInterrupt:
        print("invgen: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as error:  # noqa: BLE001 - only click's own errors are handled here
        kind = type(error).__name__
        if kind == "Abort":
            print("invgen: interrupted", file=sys.stderr)
            return INTERRUPTED
        if kind == "NoArgsIsHelpError":
            error.show()  # type: ignore[attr-defined]
            return int(getattr(error, "exit_code", 2))
        if not (hasattr(error, "format_message") and hasattr(error, "exit_code")):
            raise
        context = getattr(error, "ctx", None)
        where = f" (see `{context.command_path} --help`)" if context is not None else ""
        print(f"invgen: error: {' '.join(error.format_message().split())}{where}", file=sys.stderr)
        return int(error.exit_code)
    return code if isinstance(code, int) else 0
