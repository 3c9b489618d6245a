"""Build a small ``qwen3``-architecture model with random seeded weights, fully offline.

The tokenizer is trained on local Python source (see :mod:`punie.training.base_model.corpus`), the
weights come from ``mx.random`` after ``mx.random.seed(seed)``, and everything is written so that
``mlx_lm.load(out)`` works: ``config.json``, ``model.safetensors``, tokenizer files. All matrix
dimensions are multiples of 64, so mlx-lm's default quantization group size applies everywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, Literal

from punie.agent.messages import EXECUTE_CODE_TOOL
from punie.agent.prompt import PromptStyle, system_prompt
from punie.errors import PunieError
from punie.model.chat_template import DEFAULT_SYSTEM, TOOL_INSTRUCTIONS
from punie.model.tokenizer import EOS_TOKEN, PAD_TOKEN, save_hf_tokenizer, train_tokenizer
from punie.training.base_model.corpus import collect_corpus

__all__ = [
    "DEFAULT_MODEL_DIR",
    "SIZES",
    "InitResult",
    "ModelSize",
    "SizeName",
    "ensure_default_model",
    "init_tiny_model",
    "is_model_dir",
]

SizeName = Literal["tiny", "small"]

DEFAULT_MODEL_DIR: Final = Path(".punie") / "models" / "punie-tiny"


@dataclass(frozen=True)
class ModelSize:
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    intermediate_size: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    max_position_embeddings: int


SIZES: Final[dict[SizeName, ModelSize]] = {
    # ~4.5M parameters, 18 MB float32: trains at thousands of tokens/s on two CPU cores.
    "tiny": ModelSize(4096, 256, 4, 512, 4, 2, 64, 4096),
    # ~23M parameters, 90 MB float32.
    "small": ModelSize(8192, 512, 6, 1024, 8, 4, 64, 4096),
}


@dataclass(frozen=True)
class InitResult:
    path: Path
    size: SizeName
    seed: int
    parameters: int
    weights_sha256: str
    tokenizer_vocab: int
    corpus_bytes: int
    corpus_sha256: str
    seconds: float


def is_model_dir(path: Path) -> bool:
    return all(
        (path / name).is_file() for name in ("config.json", "tokenizer.json", "model.safetensors")
    )


def _seed_texts() -> list[str]:
    """Text in the shape the model will read, so the tool-call scaffolding compresses well."""

    fn = EXECUTE_CODE_TOOL["function"]
    lines = [
        DEFAULT_SYSTEM,
        TOOL_INSTRUCTIONS,
        json.dumps(EXECUTE_CODE_TOOL),
        "<|im_start|>assistant\n```python\n",
        "\n```<|im_end|>\n",
        "<tools>\n<function>\n<name>execute_code</name>\n<description>"
        + str(fn["description"])
        + "</description>\n<parameters>\n<parameter>\n<name>code</name>\n<type>string</type>"
        '\n</parameter>\n<required>["code"]</required>\n</parameters>\n</function>\n</tools>',
    ]
    # every sample starts with a system prompt, and the catalogue's tool and field names are what
    # programs are made of: weight them so they become single tokens
    return lines * 4 + [system_prompt("catalogue"), system_prompt("brief")] * 200


def _model_config(size: ModelSize, vocab: int, ids: dict[str, int], seed: int) -> dict[str, Any]:
    return {
        "architectures": ["Qwen3ForCausalLM"],
        "model_type": "qwen3",
        "hidden_size": size.hidden_size,
        "num_hidden_layers": size.num_hidden_layers,
        "intermediate_size": size.intermediate_size,
        "num_attention_heads": size.num_attention_heads,
        "num_key_value_heads": size.num_key_value_heads,
        "head_dim": size.head_dim,
        "max_position_embeddings": size.max_position_embeddings,
        "rms_norm_eps": 1e-6,
        "rope_theta": 1_000_000.0,
        "vocab_size": vocab,
        "tie_word_embeddings": False,
        "attention_bias": False,
        "hidden_act": "silu",
        "torch_dtype": "float32",
        "bos_token_id": None,
        "eos_token_id": [ids[EOS_TOKEN], ids[PAD_TOKEN]],
        "pad_token_id": ids[PAD_TOKEN],
        "punie": {"builder": "punie model init-tiny", "seed": seed},
    }


def init_tiny_model(
    out: Path,
    *,
    seed: int = 0,
    size: SizeName = "tiny",
    corpus_dirs: Sequence[Path] = (),
    overwrite: bool = False,
    prompt_style: PromptStyle = "brief",
) -> InitResult:
    """Build a random-weight ``qwen3`` model with a freshly trained tokenizer in ``out``.

    ``prompt_style`` is written to its config: ``brief`` (the default) because a model this
    small learns the tool catalogue from its training data rather than reading it (see
    :data:`punie.agent.prompt.PromptStyle`)."""
    import mlx.core as mx

    from punie.model.mlx_api import eval_arrays, flatten, module

    if size not in SIZES:
        raise PunieError(f"unknown model size {size!r}; known: {', '.join(SIZES)}")
    for extra in corpus_dirs:
        if not Path(extra).exists():
            raise PunieError(f"corpus directory {extra} does not exist")
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise PunieError(f"output directory {out} already exists and is not empty")
    spec = SIZES[size]
    started = time.perf_counter()

    corpus = collect_corpus(corpus_dirs, seed_texts=_seed_texts())
    tokenizer = train_tokenizer(corpus.texts, spec.vocab_size)
    vocab = tokenizer.get_vocab_size()
    model_vocab = ((vocab + 63) // 64) * 64

    out.mkdir(parents=True, exist_ok=True)
    ids = save_hf_tokenizer(tokenizer, out, model_max_length=spec.max_position_embeddings)
    config = _model_config(spec, model_vocab, ids, seed)
    config["punie"].update(
        {
            "size": size,
            "corpus_bytes": corpus.total_bytes,
            "corpus_sha256": corpus.sha256(),
            "corpus_sources": corpus.sources,
            "spec": asdict(spec),
            "prompt_style": prompt_style,
        }
    )

    qwen3 = module("mlx_lm.models.qwen3")
    mx.random.seed(seed)
    model = qwen3.Model(qwen3.ModelArgs.from_dict(config))
    eval_arrays(model.parameters())
    weights = flatten(model.parameters())
    n_params = sum(int(w.size) for w in weights.values())
    module("mlx_lm.utils").save_model(out, model)
    (out / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    (out / "generation_config.json").write_text(
        json.dumps({"eos_token_id": config["eos_token_id"], "do_sample": False}, indent=2) + "\n"
    )

    from punie.model.hashing import tensors_sha256

    digest = tensors_sha256(weights)
    return InitResult(
        path=out,
        size=size,
        seed=seed,
        parameters=n_params,
        weights_sha256=digest,
        tokenizer_vocab=vocab,
        corpus_bytes=corpus.total_bytes,
        corpus_sha256=corpus.sha256(),
        seconds=time.perf_counter() - started,
    )


def ensure_default_model(
    path: Path = DEFAULT_MODEL_DIR, *, seed: int = 0, size: SizeName = "tiny"
) -> Path:
    """Return ``path``, first building the default tiny model there if it is not a model yet.

    The model is built in a sibling temporary directory and renamed into place, so a concurrent
    or interrupted build never leaves a half-written model at ``path``.
    """
    path = Path(path)
    if is_model_dir(path):
        return path
    if path.exists() and any(path.iterdir()):
        raise PunieError(f"{path} exists but is not a model directory (no config.json/weights)")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        init_tiny_model(staging, seed=seed, size=size, overwrite=True)
        if path.exists():
            path.rmdir()
        try:
            os.replace(staging, path)
        except OSError:
            if not is_model_dir(path):
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return path
