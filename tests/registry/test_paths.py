"""The path parameters of a spec, found through the component's declared parameters and rewritten alone."""

from pathlib import Path

from invgen.registry.paths import path_values, rebased, replace_paths
from invgen.registry.spec import parse_spec


def test_only_declared_path_parameters_are_found(fake_manager):
    assert path_values("forward", "test-maskfile:path=m.png,resize=true") == {"path": "m.png"}
    assert path_values("forward", "test-noise:std=0.1") == {}
    assert path_values("forward", "no-such-model:path=x") == {}  # its own error comes when it is built


def test_a_manifest_s_relative_paths_are_taken_from_its_folder(fake_manager, tmp_path):
    spec = rebased("forward", 'test-maskfile:path="my masks/m 1.png",resize=true', tmp_path)
    assert parse_spec(spec).values == {"path": str(tmp_path / "my masks" / "m 1.png"), "resize": "true"}
    assert rebased("forward", "test-maskfile:path=/abs/m.png", tmp_path) == "test-maskfile:path=/abs/m.png"
    assert rebased("forward", "test-noise:std=0.1", tmp_path) == "test-noise:std=0.1"


def test_replacing_keeps_every_other_value_as_written(fake_manager):
    spec = replace_paths("forward", "test-maskfile:resize=yes,path=a.png", lambda value: str(Path("/u") / value))
    assert spec == "test-maskfile:resize=yes,path=/u/a.png"
