"""Fuzzing with hypothesis: the spec parser and the registry answer any text with a value or a SpecError
(bounded: few, small, timed examples). The checkpoint reader's fuzz test is the StyleGAN2 plugin's own."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invgen.errors import SpecError
from invgen.registry.manager import registry
from invgen.registry.spec import parse_spec

SPEC_ALPHABET = st.sampled_from(list("abz019:=,[]()'\" .-_/\\e+") + ["sigma", "blur", "nan", "inf", "1e999"])
SPECS = st.lists(SPEC_ALPHABET, max_size=30).map("".join)
QUICK = settings(max_examples=300, deadline=None, database=None,  # no example database written into the tree
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@QUICK
@given(text=st.one_of(SPECS, st.text(max_size=60)))
def test_the_spec_parser_answers_any_text_with_a_spec_or_a_spec_error(text):
    try:
        parsed = parse_spec(text)
    except SpecError as error:
        assert "\n" not in str(error)
        return
    assert isinstance(parsed.name, str) and parsed.name


@QUICK
@given(text=SPECS, kind=st.sampled_from(["generator", "forward", "loss", "prior"]))
def test_the_registry_checks_any_spec_without_building_anything(text, kind):
    try:
        registry().parse(kind, text)
    except SpecError as error:
        assert "\n" not in str(error)


@QUICK
@given(value=st.one_of(st.text(max_size=12), st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                       st.booleans(), st.lists(st.text(max_size=4), max_size=5)))
def test_every_registered_parameter_parses_any_value_or_says_what_is_valid(value):
    for kind in registry().components.values():
        for info in kind.values():
            for param in info.params:
                try:
                    param.parse(value, info.name)
                except SpecError as error:
                    assert f"{param.name}=" in str(error) and "expected" in str(error)
