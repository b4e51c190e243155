"""Every hook of hookspecs.py, implemented by a small plugin here and seen where invgen uses it.

Like datasette's, the last two tests check that every hook is documented in docs/hooks.md and
has a ``test_<hook name>`` here.
"""

from __future__ import annotations

import inspect
import sys
import types
from pathlib import Path

import pytest
import torch
import typer
from typer.testing import CliRunner

import invgen
from invgen.registry import hookspecs
from invgen.errors import SpecError, UserError
from invgen.plugin import hookimpl


def identity_baseline(observation, chain, shape):
    return observation


def always(chain, shape):
    return True


def mean_difference():
    return lambda x, y: (x - y).flatten(1).mean(1)


def unavailable_metric():
    raise UserError("this metric needs weights that are not here")


def two_images():
    return torch.zeros(2, 1, 16, 16)


hello = typer.Typer()


@hello.command("say")
def say() -> None:
    typer.echo("hello from a plugin")


@hookimpl
def register_generators(register):
    register("hooked-toy", "invgen.testing.toy:ToyGenerator", summary="the toy generator again")


@hookimpl
def register_weights(register):
    register("hooked-weights", filename="hooked.bin", summary="a weight file nobody has")


@hookimpl
def register_datasets(register):
    register("hooked-data", two_images, summary="two black images")


@hookimpl
def register_examples(register):
    register("hooked-example", Path("pictures/zero.png"), "hooked-toy", summary="a black square")
    register("hooked-other", "pictures/other.png", "toy")


@hookimpl
def register_benchmarks(register):
    register("hooked-toy:size=16", summary="a small toy")


@hookimpl
def register_tasks(register):
    register("hooked-task", ["test-blur:sigma=1"], summary="blur")
    register("hooked-masks", ["test-noise:std={seed}"], variants=3, summary="one of three levels")


@hookimpl
def register_methods(register):
    register("hooked-map", "squared error, W+", losses=["test-sse"])
    register("hooked-noise", "sets a generator parameter", losses=["test-sse"], generator_params={"seed": "7"})


@hookimpl
def register_ablations(register):
    register("hooked-ladder", [{"name": "1 plain", "losses": ["test-sse"]},
                               {"name": "2 + prior", "losses": ["test-sse"], "priors": ["test-norm"]}])


@hookimpl
def register_baselines(register):
    register("hooked-identity", identity_baseline, always, summary="the observation itself")


@hookimpl
def register_metrics(register):
    register("hooked-mean", mean_difference, "MEAN", digits=4, higher_is_better=True)
    register("hooked-missing", unavailable_metric, "MISSING")


@hookimpl
def register_commands(app):
    app.add_typer(hello, name="hooked")


@pytest.fixture
def hooked(fake_manager):
    plugin = types.ModuleType("hooked_plugin")
    for name, value in list(globals().items()):
        if name.startswith("register_"):
            setattr(plugin, name, value)
    sys.modules["hooked_plugin"] = plugin
    assert fake_manager.register(plugin, "hooked", "1.0"), fake_manager.failures
    yield fake_manager.registry
    sys.modules.pop("hooked_plugin", None)


def test_register_generators(hooked):
    assert invgen.generator("hooked-toy").image_shape == (1, 16, 16)
    assert hooked.components["generator"]["hooked-toy"].plugin == "hooked"


def test_register_forward_models(hooked):
    assert invgen.forward_model("test-blur:sigma=2").spec == "test-blur:sigma=2"


def test_register_losses(hooked):
    assert invgen.loss("test-sse:weight=2").weight == 2.0


def test_register_priors(hooked):
    assert invgen.prior("test-norm").spec == "test-norm"


def test_register_presets(hooked):
    assert invgen.select_terms("test-preset").losses == ("test-sse",)


def test_register_weights(hooked):
    from invgen.registry.weights import resolve_named

    with pytest.raises(UserError, match="invgen weights add hooked-weights FILE"):
        resolve_named("hooked-weights")


def test_register_datasets(hooked):
    from invgen.evaluation.experiment import load_images

    assert load_images("hooked-data", (1, 16, 16)).shape == (2, 1, 16, 16)


def test_register_examples(hooked):
    examples = hooked.examples_for("hooked-toy:size=16")
    assert [(e.name, e.path, e.plugin) for e in examples] == [("hooked-example", Path("pictures/zero.png"), "hooked")]
    assert [e.name for e in hooked.examples_for("toy")] == ["hooked-other"]
    from invgen.cli.app import create_app

    result = CliRunner().invoke(create_app(), ["list", "examples"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "hooked-example" in result.output and "hooked-toy" in result.output


def test_register_benchmarks(hooked):
    from invgen.evaluation.benchmark import default_generators

    assert "hooked-toy:size=16" in default_generators()
    assert hooked.benchmarks["hooked-toy:size=16"].plugin == "hooked"


def test_register_tasks(hooked):
    from invgen.evaluation.tasks import task

    assert task("hooked-task").specs == ("test-blur:sigma=1",)
    varied = task("hooked-masks")
    assert [varied.chain_for(i) for i in (0, 4)] == [["test-noise:std=0"], ["test-noise:std=1"]]
    assert varied.group_of(5) == 2
    with pytest.raises(SpecError, match="neither a registered task"):
        task("no-such-model")


def test_register_methods(hooked):
    from invgen.evaluation.methods import generator_values, method, method_identity

    chosen = method("hooked-noise")
    assert generator_values("toy:size=32", chosen) == {**invgen.generator("toy:size=32").spec_record.as_dict(),
                                                        "seed": 7}  # parsed like a spec value
    assert method_identity("toy", chosen)["seed"] == 7
    assert method_identity("toy", method("hooked-map"))["seed"] == 0  # a parameter some method varies is recorded
    with pytest.raises(SpecError, match="unknown method 'nope'"):
        method("nope")


def test_register_ablations(hooked):
    from invgen.evaluation.methods import ablation

    ladder = ablation("hooked-ladder")
    assert [(step.name, step.summary, step.priors) for step in ladder.steps] == [
        ("1 plain", "1 plain", ()), ("2 + prior", "2 + prior", ("test-norm",))]
    assert ablation(None) is ladder  # the only one


def test_register_baselines(hooked):
    from invgen.evaluation import baselines

    assert "hooked-identity" in baselines.applicable(invgen.forward_model(["identity"]), (1, 16, 16))
    image = torch.rand(1, 1, 16, 16)
    assert torch.equal(baselines.restore("hooked-identity", image, invgen.forward_model(["identity"]), (1, 16, 16)),
                       image)


def test_register_metrics(hooked):
    from invgen.problem.components import build_metrics, metric_columns

    assert set(build_metrics()) == {"hooked-mean"}  # the unavailable one is left out
    assert [c.key for c in metric_columns()] == ["hooked-mean", "hooked-missing", "rmse", "psnr", "ssim"]
    result = invgen.reconstruct(torch.zeros(1, 1, 16, 16), "toy", losses=["test-sse"], steps=2,
                                ground_truth=torch.zeros(1, 1, 16, 16))
    assert "hooked-mean" in result.metrics and "hooked-missing" not in result.metrics


def test_register_commands(hooked):
    from invgen.cli.app import create_app

    result = CliRunner().invoke(create_app(), ["hooked", "say"])
    assert result.exit_code == 0 and "hello from a plugin" in result.output


HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("register_"))


def test_every_hook_is_documented():
    doc = (Path(__file__).parents[2] / "docs" / "hooks.md").read_text()
    assert HOOKS and [name for name in HOOKS if f"## `{name}(" not in doc] == []


def test_every_hook_has_a_test():
    tests = {name for name, _ in inspect.getmembers(sys.modules[__name__], inspect.isfunction)}
    assert [name for name in HOOKS if f"test_{name}" not in tests] == []
