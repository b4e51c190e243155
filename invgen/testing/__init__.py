"""Helpers for testing invgen components: contract test classes and a small fixed generator (the core's
``toy``), :mod:`invgen.testing.cli` to run commands in tests and :mod:`invgen.testing.memory` to measure what
one call costs. It sits on top of every wing.

Plugin authors subclass the contracts in :mod:`invgen.testing.contracts` in their own tests.
"""
