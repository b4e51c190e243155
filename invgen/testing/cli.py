"""Run the ``invgen`` command in-process exactly as a shell runs it (option mistakes as one line, the same
exit codes), capturing stdout and stderr: for the tests of invgen and its plugins."""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator


@dataclass(frozen=True)
class Result:
    """What a shell would see: the exit code and both streams."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def invoke(*args: Any) -> Result:
    """``invgen ARGS...`` through the console script's own path (:func:`invgen.cli.app.run_cli`)."""
    from invgen.cli.app import create_app, run_cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run_cli(create_app(), [str(arg) for arg in args])
        except SystemExit as stop:  # a command may exit by itself
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    return Result(code, out.getvalue(), err.getvalue())


def check_refused(args: tuple | list, code: int, pattern: str, output: Path | None = None) -> Result:
    """The bad-input contract: ``invgen ARGS`` exits with ``code`` and says one line on stderr that starts
    ``invgen: error:`` and matches ``pattern``, with no traceback; ``output`` must not exist afterwards."""
    result = invoke(*args)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == code, result.output
    assert len(lines) == 1 and lines[0].startswith("invgen: error: "), result.stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in result.output
    if output is not None:
        assert not output.exists(), f"partial output left in {output}"
    return result


@contextlib.contextmanager
def installed_plugins() -> Iterator[None]:
    """The plugins a user has installed, freshly loaded (and the manager reset afterwards): for tests that run
    the product as a user runs it."""
    from invgen.registry import manager

    manager.set_manager(manager.new_manager())
    try:
        yield
    finally:
        manager.set_manager(None)
