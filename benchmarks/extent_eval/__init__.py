"""Evaluation of the AI-extent measurement on real photographs (python -m benchmarks.extent_eval)."""
