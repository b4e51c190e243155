"""Every error a user can fix from its message alone, each with the exit code the CLI returns.

The CLI prints such an error as one line (no traceback unless ``--debug``) and exits with
``error.exit_code``: 2 for bad usage (options, specs, names), 1 for bad inputs and failures
at run time, 130 for an interrupt. Messages name the thing that is wrong and the fix.
Nothing here imports torch.
"""

from __future__ import annotations

USAGE = 2
FAILURE = 1
INTERRUPTED = 130


class UserError(Exception):
    """Bad input, a bad spec, a missing file, a diverging objective: the message says what to do."""

    exit_code: int = FAILURE


class UsageError(UserError, ValueError):
    """A command, option or setting is used wrongly (a bad value, a wrong file suffix, a missing choice)."""

    exit_code = USAGE


class SpecError(UsageError):
    """A spec string, name or value is wrong; the message is one line that says how to fix it."""


class InputError(UserError, ValueError):
    """A user-supplied file is missing, unreadable or the wrong shape; the message says which and why."""


class OutputExists(UserError, FileExistsError):
    """The output already holds results; refusing to overwrite them."""


class ResultsDiffer(OutputExists):
    """``--resume`` found a result made with other settings or from another input; refusing to mix them."""

    exit_code = USAGE


class OutputError(UserError, OSError):
    """The output cannot be written (not creatable, read-only, full, or in use by another run)."""


class WeightsError(UserError, RuntimeError):
    """A weight file is missing, unreachable or fails its checksum; the message says what to do."""


class NonFiniteObjective(UserError, FloatingPointError):
    """A term of the objective became NaN or infinite; the message names the term."""


class PluginLoadError(UserError, RuntimeError):
    """A plugin failed to load while ``INVGEN_STRICT_PLUGINS=1`` was set."""


def exit_code_of(error: BaseException) -> int:
    """The exit code for ``error``: its own for user errors, 130 for an interrupt, 1 otherwise."""
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPTED
    return getattr(error, "exit_code", FAILURE) if isinstance(error, UserError) else FAILURE
