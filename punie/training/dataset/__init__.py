"""Training datasets from traces: ``build`` (trace DB → mlx-lm ``train/valid/test.jsonl`` with a
dataset card) and ``audit`` (the structural checks a dataset must pass before training).

Layout of a dataset directory::

    train.jsonl, valid.jsonl[, test.jsonl]   one sample a line: {"messages": [...], "tools": [...]}
    train.meta.jsonl, ...                    provenance, line N describes line N of the split
    dataset_card.json, DATASET.md            provenance, counts, token lengths, holdout repos

Nothing heavy is imported here.
"""
