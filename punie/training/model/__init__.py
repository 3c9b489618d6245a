"""Punie's embedded default model: a tiny ``qwen3`` built offline (``punie model init-tiny``).

Nothing heavy is imported here; see :mod:`punie.training.model.build`.
"""
