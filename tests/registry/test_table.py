"""The registry: building from specs, suggestions for unknown names, spec round trips."""

import pytest

import invgen
from invgen.registry.manager import registry
from invgen.registry.table import Registry
from invgen.registry.spec import SpecError


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


def test_roles_are_checked_and_found():
    registry = Registry()
    registry.add_component("forward", "plain", "a:b")
    registry.add_component("forward", "paint", "a:b", roles=["mask-file"])
    assert registry.with_role("forward", "mask-file").name == "paint"
    assert registry.with_role("generator", "mask-file") is None
    with pytest.raises(ValueError, match=r"unknown roles \['paintbrush'\]"):
        registry.add_component("forward", "other", "a:b", roles=["paintbrush"])


def test_a_generator_declares_its_default_presets_and_only_installed_ones_count():
    registry = Registry()
    registry.add_preset("quick", ["a"])
    registry.add_component("generator", "small", "a:b", presets={"map": "quick", "vi": "not-installed"})
    assert registry.generator_preset("small:noise=none", "map") == "quick"
    assert registry.generator_preset("small", "vi") is None
    assert registry.generator_preset("unknown", "map") is None
    with pytest.raises(ValueError, match="presets= is for generators"):
        registry.add_component("forward", "f", "a:b", presets={"map": "quick"})
    with pytest.raises(ValueError, match="keyed by map or vi"):
        registry.add_component("generator", "g", "a:b", presets={"mcmc": "quick"})


def test_the_generator_default_preset_comes_after_an_explicit_choice(fake_manager):
    from invgen.problem.terms import preset_for

    fake_manager.registry.add_preset("quick", ["test-sse"])
    fake_manager.registry.add_component("generator", "declares", "invgen.testing.toy:ToyGenerator",
                                        presets={"map": "quick"})
    blur = invgen.forward_model(["test-blur"])
    assert preset_for(blur, None, None, None, "map", "declares:seed=1") == "quick"
    assert preset_for(blur, None, None, None, "map", invgen.generator("declares")) == "quick"
    assert preset_for(blur, None, None, None, "vi", "declares") is None  # the registered default then
    assert preset_for(blur, "test-preset", None, None, "map", "declares") == "test-preset"
    assert preset_for(blur, None, ["test-sse"], None, "map", "declares") is None  # explicit terms
