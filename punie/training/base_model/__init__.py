"""Base models for the loop: the pretrained SmolLM2 imported from its pinned PyPI GGUF
(:mod:`.importer`) and punie's from-scratch tiny model (``punie model init-tiny``,
:mod:`.build`). Both write a chat template in the runtime's one tool-call format, so they sit
above the agent, whose prompt they render; loading and decoding live in :mod:`punie.model`.

Nothing heavy is imported here.
"""
