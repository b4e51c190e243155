"""Helpers for testing invgen components: contract test classes and a small fixed generator.

Plugin authors subclass the contracts in :mod:`invgen.testing.contracts` in their own tests.
"""
