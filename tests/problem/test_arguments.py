"""Public entry points check their arguments' types and ranges before any work, in one line naming the fix."""

import math
import os

import pytest
import torch

import invgen
from invgen.errors import InputError, SpecError, UsageError
from invgen.io.kind_files import read_kind_file
from invgen.registry.preset_files import load_preset_file

OBSERVED = torch.zeros(1, 1, 16, 16)


@pytest.mark.parametrize(("changes", "error", "message"), [
    ({"generator": 123}, UsageError, r"generator must be a spec string .* not 123"),
    ({"generator": None}, UsageError, r"generator must be a spec string .* not None \(NoneType\)"),
    ({"forward": None}, UsageError, r"forward must be a spec string, a ForwardModel or a non-empty list"),
    ({"forward": []}, UsageError, r"non-empty list of them"),
    ({"losses": "test-sse"}, UsageError, r"losses must be a list .* not the string 'test-sse': write "
                                         r"losses=\['test-sse'\]"),
    ({"preset": 5}, UsageError, r"preset must be a preset name or a preset file's path, not 5"),
    ({"device": 3}, UsageError, r"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'"),
    ({"lr": "0.05"}, SpecError, r"lr must be a number > 0, not '0.05' \(str\)"),
    ({"lr": math.inf}, SpecError, r"lr must be a number > 0, not inf"),
    ({"seed": "abc"}, SpecError, r"seed must be a whole number >= 0, not 'abc' \(str\)"),
    ({"steps": 2.7}, SpecError, r"steps must be a whole number >= 1, not 2.7"),
    ({"steps": True}, SpecError, r"steps must be a whole number >= 1, not True \(bool\)"),
    ({"observed": torch.zeros(1, 1, 16, 16, dtype=torch.complex64)}, InputError, r"is complex; .*view_as_real"),
    ({"observed": torch.zeros(0, 1, 16, 16)}, InputError, r"the observation batch is empty"),
    ({"ground_truth": [[0.0]]}, InputError, r"ground_truth must be a tensor"),
])
def test_reconstruct_refuses_bad_arguments_before_any_work(fake_manager, monkeypatch, changes, error, message):
    import invgen.problem.build as build

    built = []
    original = build.build_generator
    monkeypatch.setattr(build, "build_generator", lambda spec: built.append(spec) or original(spec))
    arguments = {"observed": OBSERVED, "generator": "toy:size=16", "losses": ["test-sse"], "steps": 2, **changes}
    with pytest.raises(error, match=message) as caught:
        invgen.reconstruct(**arguments)
    assert "\n" not in str(caught.value)
    if error is not InputError:  # the observation is checked after the generator is built (it needs its shape)
        assert built == []


@pytest.mark.parametrize(("settings", "message"), [
    (lambda: invgen.VISettings(samples=10**6), r"samples must be a whole number from 1 to 1024, not 1000000"),
    (lambda: invgen.VISettings(entropy="yes"), r"entropy must be True or False, not 'yes' \(str\)"),
    (lambda: invgen.VISettings(basis=None), r"basis must be one of latent, data, not None"),
    (lambda: invgen.MAPSettings(steps="3"), r"steps must be a whole number >= 1, not '3' \(str\)"),
    (lambda: invgen.MAPSettings(tie_layers="no"), r"tie_layers must be True or False, not 'no'"),
    (lambda: invgen.MAPSettings(init_noise=-1.0), r"init_noise must be a number >= 0, not -1.0"),
])
def test_settings_check_every_field(settings, message):
    with pytest.raises(SpecError, match=message):
        settings()


def test_sample_posterior_and_reconstruct_many_refuse_what_would_be_misread(fake_manager, tmp_path):
    with pytest.raises(UsageError, match=r"settings must be VISettings .*not dict"):
        invgen.sample_posterior(OBSERVED, "toy:size=16", losses=["test-sse"], settings={"steps": 2})
    with pytest.raises(UsageError, match=r"forward must be a list of spec strings, not 'test-blur': "
                                         r"e.g. forward=\['test-blur'\]"):
        invgen.reconstruct_many(tmp_path, tmp_path / "out", "toy", forward="test-blur")
    with pytest.raises(UsageError, match=r"unknown keyword 'steps'"):
        invgen.reconstruct_many(tmp_path, tmp_path / "out", "toy", steps=3)
    with pytest.raises(UsageError, match=r"settings must be MAPSettings, VISettings or MCMCSettings, not dict"):
        invgen.reconstruct_many(tmp_path, tmp_path / "out", "toy", settings={"steps": 3})
    assert not (tmp_path / "out").exists()  # nothing claimed


def _preset(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "p.json"
    path.write_text(text, encoding=encoding)
    return path


@pytest.mark.parametrize(("text", "message"), [
    ('{"kind": "invgen-preset", "losses": ["a"], "tie_layers": "no"}', r'"tie_layers" must be true or false, not "no"'),
    ('{"kind": "invgen-preset", "losses": ["a"], "prior": ["b"]}', r"unknown key 'prior' in a preset file"),
    ('{"kind": "invgen-preset", "losses": ["a:weight=1", "a:weight=2"]}', r"the term 'a' is given twice in \"losses\""),
    ('{"kind": "invgen-preset", "losses": ["a"], "summary": 3}', r'"summary" must be a string, not 3'),
])
def test_preset_files_are_checked_against_their_schema(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        load_preset_file(_preset(tmp_path, text))


def test_a_preset_saved_with_a_byte_order_mark_is_read(tmp_path):
    preset = load_preset_file(_preset(tmp_path, '{"kind": "invgen-preset", "losses": ["a"], "tie_layers": true}',
                                      "utf-8-sig"))
    assert preset.losses == ("a",) and preset.tie_layers is True


def test_a_fifo_or_a_huge_file_is_refused_without_reading_it(tmp_path):
    fifo = tmp_path / "preset.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):  # reading it would block forever
        read_kind_file(fifo, "invgen-preset", "preset file", "invgen tune")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (2 << 20))
    with pytest.raises(InputError, match="too large for a preset file"):
        read_kind_file(big, "invgen-preset", "preset file", "invgen tune")
