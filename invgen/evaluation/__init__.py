"""Evaluation harness: named tasks, methods (generator-based and classical), tables and figures."""
