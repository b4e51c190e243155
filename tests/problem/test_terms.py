"""Terms and the objective's identity: one identity for calibrations, the domain check and the evaluation."""

import pytest

import invgen
from invgen.errors import SpecError
from invgen.evaluation.methods import method_identity
from invgen.problem.terms import objective_identity, preset_for, select_terms
from invgen.registry.records import Method


def test_the_identity_is_the_terms_whatever_their_order_and_names_q_s_basis_only_for_vi():
    one = objective_identity(["b:x=1", "a"], ["p"], False)
    assert one == objective_identity(["a", "b:x=1"], ["p"], False) == {"losses": ["a", "b:x=1"], "priors": ["p"],
                                                                      "tie_layers": False}
    assert objective_identity(["a"], [], True, "data") == {"losses": ["a"], "priors": [], "tie_layers": True,
                                                          "basis": "data"}
    assert one != objective_identity(["a", "b:x=1"], ["p"], True)


def test_an_evaluation_method_s_identity_is_built_on_the_objective_s(fake_manager):
    chosen = Method("m", preset="test-preset")
    terms = select_terms("test-preset")
    identity = method_identity("toy", chosen)
    assert {k: identity[k] for k in ("losses", "priors", "tie_layers")} == objective_identity(
        terms.losses, terms.priors, terms.tie_layers)
    assert identity["vi"] is False


def test_preset_for_asks_the_built_chain_not_the_specs(fake_manager):
    model = invgen.forward_model(["test-blur"])
    assert preset_for(model, "given", None, None) == "given"
    assert preset_for(model, None, None, None) is None


def test_terms_merge_a_preset_with_explicit_terms(fake_manager):
    terms = invgen.select_terms("test-preset", priors=["test-norm:weight=0.5"])
    assert terms == invgen.Terms(("test-sse",), ("test-norm:weight=0.5",), False, "test-preset")
    assert invgen.select_terms(None, ["test-sse"]) == invgen.Terms(("test-sse",))


def test_the_default_objective_is_the_preset_a_plugin_declares(fake_manager):
    with pytest.raises(SpecError, match="no installed plugin provides a default map preset"):
        invgen.select_terms(None)
    fake_manager.registry.add_preset("fake-default", ["test-sse"], default_for=("map",), plugin="fakes")
    assert invgen.select_terms(None).preset == "fake-default"
    with pytest.raises(SpecError, match="default vi preset"):
        invgen.select_terms(None, method="vi")
