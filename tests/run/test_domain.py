"""The out-of-domain check: a fit compared with the generator's own, measured once and cached."""

import json

import pytest
import torch

import invgen
from invgen.run.domain import MARGIN_DB, domain_report
from invgen.io.images import save_image
from invgen.testing.cli import invoke


def test_a_fit_far_below_the_generators_own_is_out_of_domain():
    inside = domain_report(30.0, [33.0, 35.0, 40.0, 31.0])
    assert inside["gap_db"] == 1.0 and inside["out_of_domain"] is False
    outside = domain_report(31.0 - MARGIN_DB - 0.1, [33.0, 35.0, 40.0, 31.0])
    assert outside["out_of_domain"] is True and outside["in_domain_db"] == [31.0, 33.0, 35.0, 40.0]
    assert domain_report(float("inf"), [float("inf")])["out_of_domain"] is False  # exact fits both


def test_run_records_the_domain_check_and_measures_the_reference_once(tmp_path, fake_manager, monkeypatch):
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))
    generator = invgen.generator("toy:size=16,layers=2")
    save_image(tmp_path / "in.png", generator(generator.map(torch.randn(1, 8, generator=torch.Generator()
                                                                        .manual_seed(2)))))
    command = ("run", "-g", "toy:size=16,layers=2", "--loss", "test-sse", "-f", "test-down", "-i", tmp_path / "in.png",
               "--simulate", "--steps", "20", "--lr", "0.1")
    first = invoke(*command, "-o", tmp_path / "a")
    assert first.exit_code == 0, first.output
    domain = json.loads((tmp_path / "a" / "run.json").read_text())["domain"]
    assert len(domain["in_domain_db"]) == 4
    assert domain["gap_db"] == pytest.approx(min(domain["in_domain_db"]) - domain["fit_db"], abs=2e-3)
    assert domain["out_of_domain"] is False  # the input is the toy generator's own image
    cached = list((tmp_path / "home" / "domain").glob("*.json"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    assert invoke(*command, "-o", tmp_path / "b").exit_code == 0
    assert cached[0].stat().st_mtime_ns == stamp  # reused, not measured again
    skipped = invoke(*command, "-o", tmp_path / "c", "--no-domain-check")
    assert skipped.exit_code == 0 and "domain" not in json.loads((tmp_path / "c" / "run.json").read_text())


def test_a_stop_during_the_reference_solves_ends_the_run_at_once_and_keeps_the_result(tmp_path, fake_manager,
                                                                                       monkeypatch):
    import os
    import signal

    import invgen.run.domain as domain

    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))
    save_image(tmp_path / "in.png", torch.zeros(1, 16, 16))
    steps, real = [], domain.solve

    def stopped_at_the_second_step(problem, settings, **_):
        def step(progress):
            steps.append(progress.step)
            if len(steps) == 2:
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the generator's own images are fitted
        return real(problem, settings, callback=step)

    monkeypatch.setattr(domain, "solve", stopped_at_the_second_step)
    result = invoke("run", "-g", "toy:size=16,layers=2", "--loss", "test-sse", "-f", "test-down", "-i",
                    tmp_path / "in.png", "--simulate", "--steps", "20", "-o", tmp_path / "out")
    assert result.exit_code == 130, result.output
    assert len(steps) == 2  # the reference solve stopped at the step it was in, not after its 20 steps
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["interrupted"] is False and "domain" not in record  # the solve itself finished
    assert any("domain check skipped: the run was stopped" in warning for warning in record["warnings"])
    assert not list((tmp_path / "home").rglob("domain/*.json"))  # nothing half-measured is cached
