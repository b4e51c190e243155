"""Faulty plugins are contained and named; a hostile or broken environment gets one line with the fix."""

import sys
import types

import pytest

from invgen.registry import manager as plugins
from invgen.registry.hookspecs import hookimpl
from invgen.testing.cli import invoke


def _with(module: types.SimpleNamespace, name: str) -> None:
    manager = plugins.new_manager()
    manager.register(module, name, "0.1")
    plugins.set_manager(manager)


def test_a_hook_that_raises_is_skipped_and_named(files, tmp_path, run):
    @hookimpl
    def register_forward_models(register):
        raise RuntimeError("boom")
    _with(types.SimpleNamespace(register_forward_models=register_forward_models), "exploding")
    result = invoke(*run, "-f", "downsample:factor=4", "-i", files["digit.png"], "--simulate", "-o", tmp_path / "o")
    assert result.exit_code == 0 and "invgen: plugin 'exploding' skipped (RuntimeError: boom)" in result.stderr


def test_a_plugin_that_calls_sys_exit_in_a_hook_is_contained(files, tmp_path, run):
    @hookimpl
    def register_losses(register):
        sys.exit(0)
    _with(types.SimpleNamespace(register_losses=register_losses), "quitter")
    result = invoke(*run, "-i", files["digit.png"], "--simulate", "-o", tmp_path / "o")
    assert result.exit_code == 0 and "plugin 'quitter' skipped (SystemExit: 0)" in result.stderr
    assert (tmp_path / "o" / "run.json").is_file()


def test_a_plugin_registering_an_existing_name_is_warned_about(files, tmp_path, run):
    @hookimpl
    def register_forward_models(register):
        register("blur", "nowhere:Blur", summary="an impostor")
    _with(types.SimpleNamespace(register_forward_models=register_forward_models), "impostor")
    result = invoke(*run, "-f", "blur:sigma=1", "-i", files["digit.png"], "--simulate", "-o", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert "forward model 'blur' is registered twice (plugins 'kornia' and 'impostor')" in result.stderr


def test_strict_plugins_make_a_faulty_plugin_fatal(files, tmp_path, run, refused, monkeypatch):
    @hookimpl
    def register_forward_models(register):
        register("blur", "nowhere:Blur")
    monkeypatch.setenv("INVGEN_STRICT_PLUGINS", "1")
    _with(types.SimpleNamespace(register_forward_models=register_forward_models), "impostor")
    refused([*run, "-i", files["digit.png"], "-o", tmp_path / "o"], 1,
            r"plugin 'impostor' failed to load: DuplicateRegistration: forward model 'blur' is registered twice")


def test_a_component_whose_factory_cannot_be_imported(files, tmp_path, run, refused):
    @hookimpl
    def register_forward_models(register):
        register("ghost", "no_such_module_xyz:Ghost", summary="never installed")
    _with(types.SimpleNamespace(register_forward_models=register_forward_models), "ghosts")
    refused([*run, "-f", "ghost", "-i", files["digit.png"], "--simulate", "-o", tmp_path / "o"], 2,
            r"forward model 'ghost' from plugin 'ghosts' cannot be loaded")


def test_a_forward_model_that_fails_on_images_is_named_before_any_compute(files, tmp_path, run, refused):
    from invgen.plugin import ForwardModel

    class Broken(ForwardModel):
        def forward(self, x):
            raise RuntimeError("shape mismatch inside the plugin")

    @hookimpl
    def register_forward_models(register):
        register("broken", Broken, summary="fails")
    _with(types.SimpleNamespace(register_forward_models=register_forward_models), "broken-plugin")
    refused([*run, "-f", "broken", "-i", files["digit.png"], "--simulate", "-o", tmp_path / "o"], 2,
            r"forward model 'broken' cannot take 1x32x32 images: shape mismatch inside the plugin", tmp_path / "o")


def test_disabled_plugins_are_not_loaded(files, tmp_path, run, refused, monkeypatch):
    monkeypatch.setenv("INVGEN_DISABLE_PLUGINS", "kornia")
    plugins.set_manager(plugins.new_manager())
    refused([*run, "-f", "downsample:factor=4", "-i", files["digit.png"], "-o", tmp_path / "o"], 2,
            r"unknown forward model 'downsample'")


def test_named_weights_that_are_not_here_say_how_to_get_them(files, tmp_path, run, refused, monkeypatch):
    import invgen.registry.weights

    def offline(url, target):
        raise OSError("network unreachable")
    monkeypatch.setattr(invgen.registry.weights, "fetch", offline)  # never a real download from a test
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))
    args = list(run)
    args[args.index("-g") + 1] = "stylegan2-ffhq"
    refused([*args, "-i", files["digit.png"], "-o", tmp_path / "o"], 1,
            r"weights 'stylegan2-ffhq' could not be downloaded \(network unreachable\); fetch https://.* yourself "
            r"and run `invgen weights add stylegan2-ffhq FILE`", tmp_path / "o")


def test_an_invgen_home_that_is_a_file(files, tmp_path, run, monkeypatch):
    (tmp_path / "home").write_text("not a folder")
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))
    result = invoke(*run, "-i", files["digit.png"], "-o", tmp_path / "o")
    assert "Traceback" not in result.output
    assert result.exit_code == 0 or (result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1)


def test_cuda_asked_for_where_there_is_none(files, tmp_path, run, refused):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    args = [a for a in run if a not in ("--device", "cpu")]
    refused([*args, "--device", "cuda", "-i", files["digit.png"], "-o", tmp_path / "o"], 2, r"CUDA", tmp_path / "o")
