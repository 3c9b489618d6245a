"""Training from traces, in the order of the loop: questions with ground truth
(:mod:`.queries`), harvesting verified traces (:mod:`.harvest`), the mlx-lm dataset and its
audit (:mod:`.dataset`), training (:mod:`.train`), end-to-end validation (:mod:`.validate`),
the base models (:mod:`.base_model`) and the whole loop (:mod:`.loop`).

Nothing is imported here: each stage is imported where it is used (MLX loads late, after
:mod:`punie.model.openblas`).
"""
