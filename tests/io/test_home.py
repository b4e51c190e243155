"""``$INVGEN_HOME``: one module names its folders, and every user of a folder asks it."""

from pathlib import Path

from invgen.io import home


def test_the_folders_live_under_invgen_home_or_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path))
    assert home.home() == tmp_path
    assert (home.weights_dir(), home.calibration_dir(), home.domain_dir()) == (
        tmp_path / "weights", tmp_path / "calibration", tmp_path / "domain")
    monkeypatch.delenv("INVGEN_HOME")
    assert home.home() == Path.home() / ".cache" / "invgen"


def test_the_weights_cache_and_calibrations_use_those_folders(monkeypatch, tmp_path):
    from invgen.evaluation import calibration
    from invgen.registry import weights

    monkeypatch.setenv("INVGEN_HOME", str(tmp_path))
    assert weights._index_path() == tmp_path / "weights" / "local.json"
    assert "calibration_dir" in vars(calibration) and calibration.calibration_dir is home.calibration_dir
