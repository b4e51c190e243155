"""Specs from the page's widgets: parsed back by the spec parser (an independent path) and checked."""

import pytest

from invgen.errors import SpecError
from invgen.registry.params import Param
from invgen.registry.table import ComponentInfo
from invgen.serve.chain import chain_lines, confined, spec_from_widgets, upload_name, widget_kind, widget_label
from invgen.registry.spec import parse_spec

INFO = ComponentInfo("forward", "thing", "a:b", params=(
    Param("sigma", "float", None, required=True, min=0.0, min_exclusive=True, max=10.0),
    Param("size", "int", None),
    Param("border", "choice", "reflect", choices=("reflect", "zeros")),
    Param("box", "floats", None, length=4, min=0.0),
    Param("flip", "bool", False),
    Param("path", "path", None),
))


def test_each_kind_of_parameter_gets_its_widget():
    assert [widget_kind(p) for p in INFO.params] == ["number", "number", "dropdown", "text", "checkbox", "file"]
    assert widget_label(INFO.params[0]) == "sigma (required): a float > 0 and <= 10"
    assert widget_label(INFO.params[1]) == "size (optional): an int"
    assert widget_label(INFO.params[2]) == "border: one of reflect|zeros"


def test_widget_values_become_a_canonical_spec_that_parses_back():
    spec = spec_from_widgets(INFO, [2.5, 7.0, "zeros", "[0.25, 0.25, 0.75, 0.75]", True, "pictures/a b,c.png"])
    parsed = parse_spec(spec)
    assert parsed.name == "thing"
    assert parsed.values == {"sigma": "2.5", "size": "7", "border": "zeros", "box": ["0.25", "0.25", "0.75", "0.75"],
                             "flip": "true", "path": "pictures/a b,c.png"}


def test_defaults_and_empty_widgets_are_left_out():
    assert spec_from_widgets(INFO, [1.0, None, "reflect", "", False, None]) == "thing:sigma=1"


@pytest.mark.parametrize("values, message", [
    ([None, None, "reflect", "", False, None], "parameter 'sigma' is required"),
    ([20.0, None, "reflect", "", False, None], r"sigma=20.0 is invalid \(expected a float > 0 and <= 10\)"),
    ([1.0, 2.5, "reflect", "", False, None], r"size=2.5 is invalid"),
    ([1.0, None, "reflect", "[1,2]", False, None], r"box=\[1,2\] is invalid \(expected a list of 4 floats"),
])
def test_bad_widget_values_name_the_parameter_and_what_is_valid(values, message):
    with pytest.raises(SpecError, match=message):
        spec_from_widgets(INFO, values)


def test_the_chain_box_is_one_spec_per_line():
    assert chain_lines("  blur:sigma=2\n\n noise:std=0.1 \n") == ["blur:sigma=2", "noise:std=0.1"]


@pytest.mark.parametrize("named", ["/etc/hostname", "/no/such/file.png", "../../etc/passwd", "m2.png"])
def test_a_spec_on_the_page_may_name_only_this_session_s_uploads(fake_manager, named):
    """The same one line whether or not the file exists on the server: the page tells nothing about its files."""
    uploads = {"m.png": "/srv/gradio/abc/m.png"}
    assert confined("forward", "test-maskfile:path=m.png", uploads) == "test-maskfile:path=/srv/gradio/abc/m.png"
    with pytest.raises(SpecError) as refused:
        confined("forward", f"test-maskfile:path={named}", uploads)
    assert str(refused.value) == (f"{named!r} is not a file uploaded on this page; the page reads only its uploads: "
                                  "add the file with the corruption's file box")
    assert confined("forward", "test-noise:std=0.1", {}) == "test-noise:std=0.1"  # no path: nothing to resolve


def test_uploads_are_shown_by_their_own_names_never_the_server_s_paths():
    uploads = {"m.png": "/srv/a/m.png"}
    assert upload_name("/srv/a/m.png", uploads) == "m.png"  # the same upload again
    assert upload_name("/srv/b/m.png", uploads) == "m-2.png"
    assert upload_name("/srv/c/my mask (1).png", {}) == "my_mask_1_.png"
