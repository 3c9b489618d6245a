"""Training with mlx-lm: ``train_model`` (LoRA, DoRA or full), then fuse, quantize, model card.

Nothing heavy is imported here, so :mod:`punie.model.openblas` can run before MLX loads.
"""
