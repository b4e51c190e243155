"""One owner of the path from input to problem: a one-batch run parses each forward spec once and builds its
chain once, the domain check's reference solves included."""

from collections import Counter

import pytest

from invgen.io.images import save_image
from invgen.problem.chain import Chain
from invgen.registry.table import Registry
from invgen.run.job import reconstruct_many
from invgen.run.options import RunOptions
from invgen.solvers.map import MAPSettings

FORWARD = ("test-blur:sigma=2", "test-noise:std=0.05")


def test_a_one_batch_run_parses_each_forward_spec_once_and_builds_its_chain_once(fake_manager, tmp_path,
                                                                                  monkeypatch):
    import torch

    fake_manager.registry.add_preset("counted-default", ["test-sse"], default_for=("map",))  # no preset given
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))  # the domain check's reference fits: measured
    for index in range(3):
        save_image(tmp_path / "in" / f"clean{index}.png", torch.rand(1, 16, 16) * 2 - 1)
    parses: Counter[str] = Counter()
    builds: list[int] = []
    parse, init = Registry.parse, Chain.__init__

    def counting_parse(self, kind, spec):
        if kind == "forward":
            parses[spec] += 1
        return parse(self, kind, spec)

    def counting_init(self, parts):
        builds.append(len(parts))
        init(self, parts)
    monkeypatch.setattr(Registry, "parse", counting_parse)
    monkeypatch.setattr(Chain, "__init__", counting_init)
    outcome, merged = reconstruct_many(tmp_path / "in", tmp_path / "out", "toy:size=16,layers=2",
                                       settings=MAPSettings(steps=3),
                                       options=RunOptions(FORWARD, simulate=True, batch=8), device="cpu")
    assert merged and [row["status"] for row in outcome.rows] == ["ok"] * 3
    assert "domain" in __import__("json").loads((tmp_path / "out" / "clean0.png" / "run.json").read_text())
    assert parses == Counter({spec: 1 for spec in FORWARD})
    assert builds == [2]


def test_inputs_with_chains_of_their_own_get_one_chain_per_distinct_chain(fake_manager, tmp_path, monkeypatch):
    import torch

    for index in range(4):
        save_image(tmp_path / f"clean{index}.png", torch.rand(1, 16, 16) * 2 - 1)
    extra = ["test-noise:std=0.05", "test-noise:std=0.2", "test-noise:std=0.05", ""]
    (tmp_path / "inputs.csv").write_text("path,forward\n" + "".join(
        f"clean{index}.png,{spec}\n" for index, spec in enumerate(extra)))
    builds: list[tuple[str, ...]] = []
    init = Chain.__init__

    def counting_init(self, parts):
        builds.append(tuple(part.spec for part in parts))
        init(self, parts)
    monkeypatch.setattr(Chain, "__init__", counting_init)
    outcome, _ = reconstruct_many(tmp_path / "inputs.csv", tmp_path / "out", "toy:size=16,layers=2",
                                  settings=MAPSettings(steps=2), losses=["test-sse"],
                                  options=RunOptions(("test-blur:sigma=2",), simulate=True, domain_check=False))
    assert [row["status"] for row in outcome.rows] == ["ok"] * 4
    assert sorted(builds) == sorted([("test-blur:sigma=2",), ("test-blur:sigma=2", "test-noise:std=0.05"),
                                     ("test-blur:sigma=2", "test-noise:std=0.2")])


def test_resume_from_python_refuses_results_made_with_other_settings(fake_manager, tmp_path):
    import torch

    from invgen.errors import ResultsDiffer

    for index in range(2):
        save_image(tmp_path / "in" / f"clean{index}.png", torch.rand(1, 16, 16) * 2 - 1)
    options = RunOptions(FORWARD, simulate=True, domain_check=False)
    common = dict(input=tmp_path / "in", output=tmp_path / "out", generator="toy:size=16,layers=2",
                  options=options, losses=["test-sse"], device="cpu")
    first, _ = reconstruct_many(settings=MAPSettings(steps=3), **common)
    assert [row["status"] for row in first.rows] == ["ok", "ok"]
    same, _ = reconstruct_many(settings=MAPSettings(steps=3), resume=True, **common)
    assert same.skipped == 2 and not same.rows
    with pytest.raises(ResultsDiffer, match=r"clean0.png/run.json: its result was made otherwise \(solver.lr was "
                                            r"0.05, now 0.1\)"):
        reconstruct_many(settings=MAPSettings(steps=3, lr=0.1), resume=True, **common)
    redone, _ = reconstruct_many(settings=MAPSettings(steps=3, lr=0.1), resume=True, overwrite=True, **common)
    assert redone.skipped == 0 and [row["status"] for row in redone.rows] == ["ok", "ok"]
