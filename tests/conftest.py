"""Fixtures: each test gets its own plugin manager, with or without the fake test plugin."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from invgen.registry import manager as plugins


def _load_fakes():
    path = Path(__file__).with_name("fakes.py")
    if "invgen_test_fakes" not in sys.modules:
        spec = importlib.util.spec_from_file_location("invgen_test_fakes", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["invgen_test_fakes"] = module
        spec.loader.exec_module(module)
    return sys.modules["invgen_test_fakes"]


@pytest.fixture
def fakes():
    """The fake plugin module (its component classes)."""
    return _load_fakes()


@pytest.fixture
def bare_manager():
    """A manager with only the core's built-ins: no installed plugin is loaded."""
    manager = plugins.new_manager(load=False)
    plugins.set_manager(manager)
    yield manager
    plugins.set_manager(None)


@pytest.fixture
def fake_manager(bare_manager, fakes):
    """The built-ins plus the fake test plugin."""
    bare_manager.register(fakes, "fakes", "0.0")
    return bare_manager


@pytest.fixture
def installed_fakes(tmp_path):
    """Environment variables under which a subprocess finds the fake plugin as an installed distribution
    (a ``.dist-info`` with an ``invgen`` entry point on ``PYTHONPATH``), for tests of real processes."""
    import os

    site = tmp_path / "site"
    info = site / "invgen_test_fakes-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: invgen-test-fakes\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[invgen]\nfakes = invgen_test_fakes\n")
    (site / "invgen_test_fakes.py").write_text(Path(__file__).with_name("fakes.py").read_text())
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


@pytest.fixture
def toy_problem(fake_manager, test_device):
    """Two clean toy images and the problem of their blurred observation (through the Python API)."""
    import torch

    import invgen

    generator = invgen.generator("toy:size=16,layers=2")
    clean = generator(generator.map(torch.randn(2, generator.z_dim, generator=torch.Generator().manual_seed(3))))
    return clean, invgen.build_problem(clean, generator, "test-blur:sigma=1", losses=["test-sse"], simulate=True,
                                       device=test_device)
