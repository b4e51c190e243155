"""Preset files: written by `invgen tune`, read back checked, used wherever a preset name is."""

import json
import re

import pytest

from invgen.errors import InputError
from invgen.registry.preset_files import is_preset_file, load_preset_file, preset_file_text
from invgen.problem.terms import select_terms


def test_a_written_preset_file_reads_back_and_selects_its_terms(tmp_path, fake_manager):
    path = tmp_path / "mine.json"
    path.write_text(preset_file_text("mine", ["test-sse:weight=2"], ["test-norm:weight=0.5"], summary="s",
                                     tuned={"factors": [1, 0.5]}))
    preset = load_preset_file(path)
    assert preset.losses == ("test-sse:weight=2",) and preset.priors == ("test-norm:weight=0.5",)
    assert is_preset_file(str(path)) and not is_preset_file("brgm")
    terms = select_terms(str(path))
    assert terms.losses == ("test-sse:weight=2",) and terms.preset == str(path)


@pytest.mark.parametrize("content, message", [
    (None, "no such preset file (make one with `invgen tune`)"),
    ("[1, 2", "not a preset file (JSONDecodeError)"),
    ("{}", "not a preset file made by `invgen tune`"),
    (json.dumps({"kind": "invgen-preset", "losses": []}), "needs \"losses\" (at least one spec)"),
    (json.dumps({"kind": "invgen-preset", "losses": ["a"], "priors": [3]}), "lists of spec strings"),
])
def test_bad_preset_files_are_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "p.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=re.escape(message)):
        load_preset_file(path)
