"""Plugin loading through entry points: isolation of broken plugins, strict mode, disabling."""

import sys
import types
from importlib.metadata import EntryPoint

import pytest

from invgen.registry import manager as plugins
from invgen.errors import PluginLoadError
from invgen.registry.hookspecs import hookimpl


def _module(name, **attributes):
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    sys.modules[name] = module
    return module


@hookimpl
def _register_one_forward(register):
    register("from-entry-point", "invgen.problem.chain:Identity", summary="x")


@pytest.fixture
def entry_points(monkeypatch):
    """Fake installed entry points: a good plugin, one that fails to import, one with a bad hook."""
    _module("invgen_good_plugin", register_forward_models=_register_one_forward)
    _module("invgen_typo_plugin", register_forward_model=hookimpl(lambda register: None))
    points = [
        EntryPoint("good", "invgen_good_plugin", "invgen"),
        EntryPoint("broken", "invgen_missing_module_xyz", "invgen"),
        EntryPoint("typo", "invgen_typo_plugin", "invgen"),
    ]
    monkeypatch.setattr(plugins, "entry_points", lambda group: points if group == "invgen" else [])
    yield
    plugins.set_manager(None)


def test_broken_plugins_are_skipped_and_reported(entry_points, capsys):
    manager = plugins.new_manager()
    assert "from-entry-point" in manager.registry.components["forward"]
    failed = {failure.name: failure.error for failure in manager.failures}
    assert set(failed) == {"broken", "typo"}
    assert "ModuleNotFoundError" in failed["broken"]
    assert "register_forward_model" in failed["typo"]
    manager.report_failures()
    manager.report_failures()
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and all("skipped" in line for line in lines)


def test_a_plugin_that_exits_on_import_is_contained(monkeypatch):
    def leave():
        raise SystemExit(0)

    points = [EntryPoint("exits", "invgen_exiting_plugin_xyz", "invgen")]
    monkeypatch.setattr(plugins, "entry_points", lambda group: points if group == "invgen" else [])
    monkeypatch.setattr(EntryPoint, "load", lambda self: leave())
    manager = plugins.new_manager()
    assert [(f.name, f.error) for f in manager.failures] == [("exits", "SystemExit: 0")]
    assert "toy" in manager.registry.components["generator"]
    plugins.set_manager(None)


def test_strict_mode_makes_failures_fatal(entry_points, monkeypatch):
    monkeypatch.setenv("INVGEN_STRICT_PLUGINS", "1")
    with pytest.raises(plugins.PluginLoadError, match="plugin 'broken' failed to load"):
        plugins.new_manager()


def test_disable_list_skips_plugins(entry_points, monkeypatch):
    monkeypatch.setenv("INVGEN_DISABLE_PLUGINS", "broken, typo,good")
    manager = plugins.new_manager()
    assert manager.failures == []
    assert sorted(manager.disabled) == ["broken", "good", "typo"]
    assert "from-entry-point" not in manager.registry.components["forward"]


def test_a_hook_that_raises_is_isolated(bare_manager):
    @hookimpl
    def register_losses(register):
        raise RuntimeError("boom")

    bare_manager.register(types.SimpleNamespace(register_losses=register_losses), "exploding")
    assert "toy" in bare_manager.registry.components["generator"]
    assert [f.name for f in bare_manager.failures] == ["exploding"]


def _copycat():
    @hookimpl
    def register_forward_models(register):
        register("test-blur", "a:b", summary="a second test-blur")
        register("copycat-own", "a:b", summary="its own model")
    return types.SimpleNamespace(register_forward_models=register_forward_models)


def test_a_name_registered_again_warns_and_keeps_the_first_and_the_plugins_other_names(fake_manager, capsys):
    fake_manager.report_failures()  # as the CLI does at start
    fake_manager.register(_copycat(), "copycat")
    forward = fake_manager.registry.components["forward"]
    assert forward["test-blur"].plugin == "fakes" and forward["copycat-own"].plugin == "copycat"
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'test-blur' is registered twice (plugins 'fakes' and 'copycat')" in err[0]


def test_a_name_registered_again_is_fatal_in_strict_mode(fake_manager, monkeypatch):
    monkeypatch.setenv("INVGEN_STRICT_PLUGINS", "1")
    fake_manager.register(_copycat(), "copycat")
    with pytest.raises(PluginLoadError, match="registered twice"):
        fake_manager.registry


def test_unregister_forgets_components(fake_manager):
    assert "test-blur" in plugins.registry().components["forward"]
    fake_manager.unregister("fakes")
    assert "test-blur" not in plugins.registry().components["forward"]


def test_hooks_of_lists_implemented_hooks(fake_manager):
    assert fake_manager.hooks_of("fakes") == [
        "register_forward_models", "register_losses", "register_presets", "register_priors"]
