"""The plugin's cases of the bad-input suite: ``invgen run`` as a user runs it with the in-repo plugins
installed, checked by the core's contract (:func:`invgen.testing.cli.check_refused`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from invgen.testing.cli import installed_plugins

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "invgen_stylegan2" / "examples"


@pytest.fixture(autouse=True)
def fresh_plugins():
    """The plugins a user has, freshly loaded for each case."""
    with installed_plugins():
        yield


@pytest.fixture
def run() -> list[str]:
    """``invgen run`` on the embedded generator, 2 steps on the CPU."""
    return ["run", "-g", "stylegan2-mnist32", "--steps", "2", "--device", "cpu"]


@pytest.fixture
def digit() -> Path:
    """A 32x32 grey held-out digit."""
    return EXAMPLES / "holdout_1950_digit3.png"
