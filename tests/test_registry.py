"""The registry: building from specs, suggestions for unknown names, spec round trips."""

import pytest

import invgen
from invgen.plugins import registry
from invgen.registry import Registry
from invgen.spec import SpecError


def test_build_and_round_trip(fake_manager):
    blur = invgen.forward_model("test-blur:sigma=2.0")
    assert blur.spec == "test-blur:sigma=2"
    assert invgen.forward_model(blur.spec).spec == blur.spec
    assert invgen.forward_model("test-blur").spec == "test-blur"


def test_weight_is_a_parameter_of_every_term(fake_manager):
    term = invgen.loss("test-sse:weight=0.5")
    assert term.weight == 0.5 and term.spec == "test-sse:weight=0.5"
    assert invgen.prior("test-norm").weight == 1.0
    with pytest.raises(SpecError, match="weight=-1 is invalid"):
        invgen.prior("test-norm:weight=-1")


def test_unknown_name_suggests_the_closest(fake_manager):
    with pytest.raises(SpecError, match=r"unknown forward model 'test-blurr': did you mean 'test-blur'"):
        invgen.forward_model("test-blurr")
    with pytest.raises(SpecError, match="see `invgen list losses`"):
        invgen.loss("nothing-like-it")


def test_unknown_kind_member_without_any_registered(bare_manager):
    with pytest.raises(SpecError, match="no installed plugin registers any"):
        invgen.loss("pixel")


def test_objects_pass_through(fake_manager, fakes):
    blur = fakes.GaussianBlur(1.0)
    assert invgen.forward_model(blur) is blur


def test_list_of_specs_is_a_chain(fake_manager):
    chain = invgen.forward_model(["test-blur", "test-down"])
    assert isinstance(chain, invgen.Chain)
    assert [part.spec for part in chain.parts] == ["test-blur", "test-down"]


def test_duplicate_registration_is_refused():
    registry = Registry()
    registry.add_component("forward", "x", "a:b", plugin="one")
    with pytest.raises(ValueError, match="registered twice"):
        registry.add_component("forward", "x", "a:b", plugin="two")


def test_lazy_factory_failure_names_plugin():
    registry = Registry()
    registry.add_component("forward", "ghost", "no_such_module_xyz:Thing", plugin="ghost-plugin")
    with pytest.raises(SpecError, match="from plugin 'ghost-plugin' cannot be loaded"):
        registry.build("forward", "ghost")


def test_factory_value_error_becomes_spec_error(fake_manager):
    with pytest.raises(SpecError, match="^toy: size must be a power of two"):
        invgen.generator("toy:size=24")


def test_unknown_preset(fake_manager):
    with pytest.raises(SpecError, match=r"unknown preset 'nope' \(known presets: test-preset\)"):
        registry().preset("nope")
