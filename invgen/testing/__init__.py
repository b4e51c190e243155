"""Helpers for testing invgen components: contract test classes and a small fixed generator (the core's
``toy``), and :mod:`invgen.testing.cli` to run commands in tests. It sits on top of every wing.

Plugin authors subclass the contracts in :mod:`invgen.testing.contracts` in their own tests.
"""
