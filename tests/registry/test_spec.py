"""The spec grammar: names, values, lists, quoting and malformed input."""

import pytest

from invgen.registry.spec import ParsedSpec, SpecError, format_spec, parse_spec, quote_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("blur", ParsedSpec("blur", {})),
        ("blur:", ParsedSpec("blur", {})),
        ("blur:sigma=2", ParsedSpec("blur", {"sigma": "2"})),
        ("downsample:factor=4,mode=area", ParsedSpec("downsample", {"factor": "4", "mode": "area"})),
        (" blur : sigma = 2 , size = 9 ", ParsedSpec("blur", {"sigma": "2", "size": "9"})),
        ("mask:box=[0.25,0.25,0.75,0.75]", ParsedSpec("mask", {"box": ["0.25", "0.25", "0.75", "0.75"]})),
        ("mask:box=[ 1 , 2 ],x=3", ParsedSpec("mask", {"box": ["1", "2"], "x": "3"})),
        ("m:a=[]", ParsedSpec("m", {"a": []})),
        ("m:a=[[1,2],[3]]", ParsedSpec("m", {"a": [["1", "2"], ["3"]]})),
        ('kernel:path="my file, v2.npy"', ParsedSpec("kernel", {"path": "my file, v2.npy"})),
        ("kernel:path='a\\'b'", ParsedSpec("kernel", {"path": "a'b"})),
        ("kernel:path=C:/data/k.npy", ParsedSpec("kernel", {"path": "C:/data/k.npy"})),
        ("mygan:weights=/x/y.pkl,noise=none", ParsedSpec("mygan", {"weights": "/x/y.pkl", "noise": "none"})),
    ],
)
def test_parse(text, expected):
    assert parse_spec(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty spec"),
        ("   ", "empty spec"),
        ("bl ur", "not a valid component name"),
        (":sigma=2", "not a valid component name"),
        ("blur:sigma", "no '='"),
        ("blur:sigma=", "empty value"),
        ("blur:sigma=2,", "no '='"),
        ("blur:=2", "not a valid parameter name"),
        ("blur:sigma=2,sigma=3", "given twice"),
        ("mask:box=[1,2", "unclosed list"),
        ("kernel:path='abc", "unclosed quote"),
        ("blur:sigma=2=3", "unexpected '='"),
        ("blur:sigma='2'x", "expected ','"),
    ],
)
def test_malformed_specs_give_one_line_errors(text, fragment):
    with pytest.raises(SpecError, match=fragment) as caught:
        parse_spec(text)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("value", ["plain", "with space", "a,b", "[x]", "q'uote", 'd"q', "back\\slash", " pad "])
def test_quote_value_round_trips(value):
    assert parse_spec(format_spec("n", {"k": quote_value(value)})).values["k"] == value
