"""Typed parameters: conversion, ranges, errors and formatting."""

import pytest

from invgen.registry.params import Param, canonical_values, resolve
from invgen.registry.spec import SpecError

SIGMA = Param("sigma", "float", 1.0, min=0.0, min_exclusive=True, max=50)
PARAMS = (
    SIGMA,
    Param("size", "int", None, min=1),
    Param("border", "choice", "reflect", choices=("reflect", "zeros")),
    Param("antialias", "bool", True),
    Param("box", "floats", None, length=4),
    Param("path", "path", None, required=False),
)


def test_resolve_fills_defaults_and_converts():
    values = resolve(PARAMS, {"sigma": "2.5", "antialias": "no", "box": ["0", "1", "2", "3.5"]}, "blur")
    assert values == {"sigma": 2.5, "size": None, "border": "reflect", "antialias": False,
                      "box": (0.0, 1.0, 2.0, 3.5), "path": None}


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ({"sigma": "abc"}, r"sigma=abc is invalid \(expected a float > 0 and <= 50\)"),
        ({"sigma": "0"}, "sigma=0 is invalid"),
        ({"sigma": "nan"}, "sigma=nan is invalid"),
        ({"sigma": "51"}, "sigma=51 is invalid"),
        ({"size": "2.5"}, r"size=2.5 is invalid \(expected an int >= 1\)"),
        ({"size": "0"}, "size=0 is invalid"),
        ({"border": "wrap"}, r"expected one of reflect\|zeros"),
        ({"antialias": "maybe"}, "expected true or false"),
        ({"box": ["1", "2"]}, r"box=\[1,2\] is invalid \(expected a list of 4 floats"),
        ({"box": "1"}, "box=1 is invalid"),
        ({"sigma": ["1"]}, r"sigma=\[1\] is invalid"),
        ({"sgima": "1"}, r"unknown parameter 'sgima' \(valid parameters: sigma, size, border, antialias, box, path\)"),
    ],
)
def test_bad_values_name_key_value_and_expectation(given, fragment):
    with pytest.raises(SpecError, match=fragment) as caught:
        resolve(PARAMS, given, "blur")
    assert str(caught.value).startswith("blur: ")


def test_required_parameter():
    with pytest.raises(SpecError, match="parameter 'path' is required"):
        resolve((Param("path", "path", required=True),), {}, "kernel")


def test_python_values_are_accepted():
    assert resolve(PARAMS, {"sigma": 3, "antialias": False, "box": [1, 2, 3, 4]}, "blur")["sigma"] == 3.0
    with pytest.raises(SpecError):
        resolve(PARAMS, {"size": True}, "blur")


def test_canonical_values_drop_defaults_and_format():
    values = resolve(PARAMS, {"sigma": "2.0", "border": "reflect", "box": ["0.25", "0", "1", "1"]}, "blur")
    assert canonical_values(PARAMS, values) == {"sigma": "2", "box": "[0.25,0,1,1]"}


def test_param_declaration_errors():
    with pytest.raises(ValueError):
        Param("x", "complex")
    with pytest.raises(ValueError):
        Param("x", "choice")
