"""A byte-level BPE tokenizer for code, trained offline with ``tokenizers`` and saved HF-style."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

from punie.model.chat_template import CHAT_TEMPLATE

__all__ = [
    "EOS_TOKEN",
    "PAD_TOKEN",
    "SPECIAL_TOKENS",
    "save_hf_tokenizer",
    "train_tokenizer",
]

IM_START: Final = "<|im_start|>"
EOS_TOKEN: Final = "<|im_end|>"
PAD_TOKEN: Final = "<|endoftext|>"
SPECIAL_TOKENS: Final = (
    PAD_TOKEN,
    IM_START,
    EOS_TOKEN,
    "<tool_call>",
    "</tool_call>",
    "<tool_response>",
    "</tool_response>",
)

# Identifiers (underscores included) are words; a run of punctuation never swallows the
# letters after it, so ``find_references("`` ends on a token boundary right after the quote.
_SPLIT_PATTERN: Final = (
    r" ?[\p{L}_][\p{L}\p{N}_]*| ?\p{N}{1,3}| ?[^\s\p{L}\p{N}_]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def train_tokenizer(texts: Sequence[str], vocab_size: int) -> Tokenizer:
    """Train a byte-level BPE tokenizer with :data:`SPECIAL_TOKENS` on ``texts``."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_SPLIT_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer, length=len(texts))
    return tokenizer


def save_hf_tokenizer(
    tokenizer: Tokenizer,
    out: Path,
    *,
    model_max_length: int,
    special: Sequence[str] = SPECIAL_TOKENS,
) -> dict[str, int]:
    """Write ``tokenizer.json``, ``tokenizer_config.json`` (with punie's chat template) and
    ``special_tokens_map.json`` to ``out``; return the ids of the ``special`` tokens, which
    must include :data:`EOS_TOKEN` and :data:`PAD_TOKEN`."""
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(out / "tokenizer.json"))
    ids: dict[str, int] = {}
    added: dict[str, dict[str, Any]] = {}
    for token in special:
        token_id = tokenizer.token_to_id(token)
        if token_id is None:
            raise RuntimeError(f"special token {token} missing from the vocabulary")
        ids[token] = token_id
        added[str(token_id)] = {
            "content": token,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
    for needed in (EOS_TOKEN, PAD_TOKEN):
        if needed not in ids:
            raise RuntimeError(f"the chat template needs the special token {needed}")
    config: dict[str, Any] = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "added_tokens_decoder": added,
        "additional_special_tokens": [t for t in special if t not in (PAD_TOKEN, EOS_TOKEN)],
        "bos_token": None,
        "eos_token": EOS_TOKEN,
        "pad_token": PAD_TOKEN,
        "unk_token": None,
        "add_bos_token": False,
        "add_prefix_space": False,
        "clean_up_tokenization_spaces": False,
        "split_special_tokens": False,
        "model_max_length": model_max_length,
        "chat_template": CHAT_TEMPLATE,
    }
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    special_map = {"eos_token": EOS_TOKEN, "pad_token": PAD_TOKEN}
    (out / "special_tokens_map.json").write_text(json.dumps(special_map, indent=2) + "\n")
    return ids
