"""The core's own components pass the contract kit it offers to plugin authors."""

from invgen.testing.contracts import ForwardModelContract, GeneratorContract


class TestToyGenerator(GeneratorContract):
    spec = "toy:size=16,channels=3"
    bad_specs = ("toy:size=24", "toy:size=abc", "toy:channels=0", "toy:sise=8")


class TestIdentity(ForwardModelContract):
    spec = "identity"
    bad_specs = ("identity:x=1", "identitty")
