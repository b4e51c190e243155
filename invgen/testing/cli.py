"""Run the ``invgen`` command in-process exactly as a shell runs it (option mistakes as one line, the same
exit codes), capturing stdout and stderr: for the tests of invgen and its plugins."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from typing import Any


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
