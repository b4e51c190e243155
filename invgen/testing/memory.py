"""How much memory and time one call takes, measured in a fresh Python process: the peak resident set
(``ru_maxrss``) only ever rises, so a test process that has already loaded models cannot measure a small
call in itself. For the resource-budget tests of invgen and its plugins."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass

_SCRIPT = """
import json, resource, time
from invgen.errors import UserError
{prelude}
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
_refusal = ""
try:
{statement}
except UserError as _caught:
    _refusal = str(_caught)
_seconds = time.perf_counter() - started
_grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({{"megabytes": _grown, "seconds": _seconds, "error": _refusal}}))
"""


@dataclass(frozen=True)
class Cost:
    """The peak resident memory a call added (MB), its seconds, and the one-line error it raised ('' if none)."""

    megabytes: float
    seconds: float
    error: str


def cost_of(statement: str, prelude: str = "import torch") -> Cost:
    """Run ``prelude`` (imports, warming up), then ``statement`` in a fresh process; an :class:`invgen.errors.
    UserError` is caught and its message kept, any other exception fails the measurement with its traceback."""
    script = _SCRIPT.format(prelude=textwrap.dedent(prelude), statement=textwrap.indent(textwrap.dedent(statement),
                                                                                        "    "))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise AssertionError(f"the measured call failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return Cost(**json.loads(done.stdout.strip().splitlines()[-1]))
