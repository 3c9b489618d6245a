"""Reading a llama-family GGUF file into mlx-lm's ``llama`` layout.

``mx.load(path, return_metadata=True)`` reads GGUF natively: quantized tensors come back as
mlx affine triples (``weight`` packed into uint32, ``scales``, ``biases``; group size 32, the
GGUF block size), float tensors as they are. This module turns them into mlx-lm parameter
names, undoes llama.cpp's q/k row permutation (it reorders rotary pairs for its own rope
layout), dequantizes, and derives the model config and the byte-level BPE tokenizer from the
metadata. Nothing here writes files: :mod:`punie.training.base_model.importer` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

import mlx.core as mx

from punie.errors import PunieError

__all__ = [
    "GGUF_GROUP_SIZE",
    "GgufModel",
    "build_tokenizer",
    "dequantized_weights",
    "llama_config",
    "load_gguf",
    "quantized_bits",
    "unpermute_rows",
]

GGUF_GROUP_SIZE: Final = 32
"""Every GGUF quantization block mlx reads holds 32 weights."""

_LAYER_NAMES: Final = {
    "attn_norm": "input_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_norm": "post_attention_layernorm",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
_TOP_NAMES: Final = {
    "token_embd": "model.embed_tokens",
    "output_norm": "model.norm",
    "output": "lm_head",
}
_BLOCK_RE: Final = re.compile(r"^blk\.(\d+)\.([a-z_]+)$")


@dataclass(frozen=True)
class GgufModel:
    """The tensors of a GGUF file grouped by mlx-lm parameter name, and its metadata.

    ``tensors[name]`` is ``{"weight": ...}`` for a float tensor or ``{"weight", "scales",
    "biases"}`` for a quantized one (q/k rows already un-permuted)."""

    path: Path
    metadata: dict[str, Any]
    tensors: dict[str, dict[str, mx.array]]

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))


_REQUIRED: Final = object()


def _scalar(metadata: dict[str, Any], key: str, path: Path, default: Any = _REQUIRED) -> Any:
    if key not in metadata:
        if default is not _REQUIRED:
            return default
        raise PunieError(f"{path}: GGUF metadata has no {key!r}")
    value = metadata[key]
    if isinstance(value, mx.array):
        return value.item()
    return value


def _mlx_name(gguf_name: str) -> str | None:
    match = _BLOCK_RE.match(gguf_name)
    if match is not None:
        layer, part = match.groups()
        target = _LAYER_NAMES.get(part)
        return None if target is None else f"model.layers.{layer}.{target}"
    return _TOP_NAMES.get(gguf_name)


def unpermute_rows(array: mx.array, n_head: int) -> mx.array:
    """Undo llama.cpp's ``permute`` of a q or k projection's rows.

    llama.cpp stores each head's rows as (pairs, 2) interleaved for its rope; mlx-lm's llama
    expects the Hugging Face order (2, pairs). Rows move as wholes, so this applies equally to
    a float weight and to each of a quantized weight's ``weight``/``scales``/``biases``."""
    rows = array.shape[0]
    if rows % (2 * n_head):
        raise PunieError(f"cannot un-permute {rows} rows into {n_head} heads")
    rest = [int(n) for n in array.shape[1:]]
    core: Any = mx
    grouped = core.reshape(array, [n_head, rows // n_head // 2, 2, *rest])
    return cast(mx.array, core.reshape(core.swapaxes(grouped, 1, 2), list(array.shape)))


def load_gguf(path: Path) -> GgufModel:
    """Read ``path`` (a llama-architecture GGUF) into mlx-lm parameter names."""
    path = Path(path)
    if not path.is_file():
        raise PunieError(f"GGUF file {path} does not exist")
    try:
        loaded: Any = mx.load(str(path), return_metadata=True)
    except Exception as exc:
        raise PunieError(f"{path}: mlx cannot read it as GGUF ({exc})") from exc
    raw = cast(dict[str, mx.array], loaded[0])
    meta = dict(cast(dict[str, Any], loaded[1]))
    arch = str(meta.get("general.architecture", ""))
    if arch != "llama":
        raise PunieError(
            f"{path}: architecture {arch!r} is not supported; punie imports llama-family GGUFs"
        )
    n_head = int(_scalar(meta, "llama.attention.head_count", path))
    n_kv = int(_scalar(meta, "llama.attention.head_count_kv", path))
    tensors: dict[str, dict[str, mx.array]] = {}
    for key, value in raw.items():
        stem, _, part = key.rpartition(".")
        if part not in ("weight", "scales", "biases"):
            raise PunieError(f"{path}: unexpected tensor {key!r}")
        name = _mlx_name(stem)
        if name is None:
            raise PunieError(f"{path}: tensor {key!r} has no place in mlx-lm's llama")
        if name.endswith("q_proj"):
            value = unpermute_rows(value, n_head)
        elif name.endswith("k_proj"):
            value = unpermute_rows(value, n_kv)
        tensors.setdefault(name, {})[part] = value
    return GgufModel(path, meta, tensors)


def quantized_bits(parts: dict[str, mx.array]) -> int | None:
    """The bit width of a quantized triple (from its shapes), or None for a float tensor."""
    if "scales" not in parts:
        return None
    packed, scales = parts["weight"], parts["scales"]
    columns = int(scales.shape[-1]) * GGUF_GROUP_SIZE
    bits, remainder = divmod(int(packed.shape[-1]) * 32, columns)
    if remainder or bits not in (2, 3, 4, 5, 6, 8):
        raise PunieError(f"cannot infer the bit width of a {packed.shape} tensor")
    return bits


def dequantized_weights(model: GgufModel, dtype: mx.Dtype = mx.float32) -> dict[str, mx.array]:
    """Every tensor as a float array of ``dtype``, keyed ``<mlx name>.weight``."""
    out: dict[str, mx.array] = {}
    for name, parts in model.tensors.items():
        bits = quantized_bits(parts)
        if bits is None:
            weight = parts["weight"]
        else:
            weight = mx.dequantize(
                parts["weight"],
                parts["scales"],
                parts["biases"],
                group_size=GGUF_GROUP_SIZE,
                bits=bits,
            )
        out[f"{name}.weight"] = weight.astype(dtype)
    return out


def llama_config(model: GgufModel) -> dict[str, Any]:
    """The ``config.json`` of mlx-lm's ``llama`` for this GGUF."""
    meta, path = model.metadata, model.path
    hidden = int(_scalar(meta, "llama.embedding_length", path))
    n_head = int(_scalar(meta, "llama.attention.head_count", path))
    vocab = int(model.tensors["model.embed_tokens"]["weight"].shape[0])  # rows, packed or not
    head_dim = int(_scalar(meta, "llama.rope.dimension_count", path, hidden // n_head))
    eos = int(_scalar(meta, "tokenizer.ggml.eos_token_id", path))
    bos = meta.get("tokenizer.ggml.bos_token_id")
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": hidden,
        "num_hidden_layers": int(_scalar(meta, "llama.block_count", path)),
        "intermediate_size": int(_scalar(meta, "llama.feed_forward_length", path)),
        "num_attention_heads": n_head,
        "num_key_value_heads": int(_scalar(meta, "llama.attention.head_count_kv", path)),
        "head_dim": head_dim,
        "max_position_embeddings": int(_scalar(meta, "llama.context_length", path)),
        "rms_norm_eps": float(_scalar(meta, "llama.attention.layer_norm_rms_epsilon", path)),
        "rope_theta": float(_scalar(meta, "llama.rope.freq_base", path, 10000.0)),
        "rope_traditional": False,
        "vocab_size": vocab,
        "tie_word_embeddings": "lm_head" not in model.tensors,
        "attention_bias": False,
        "mlp_bias": False,
        "hidden_act": "silu",
        "bos_token_id": None if bos is None else int(bos.item()),
        "eos_token_id": eos,
    }


def _strings(meta: dict[str, Any], key: str, path: Path) -> list[str]:
    value = meta.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):  # pyright: ignore[reportUnknownVariableType]
        raise PunieError(f"{path}: GGUF metadata {key!r} is missing or not a list of strings")
    return [str(v) for v in value]  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]


def build_tokenizer(model: GgufModel) -> tuple[Any, list[str]]:
    """A ``tokenizers.Tokenizer`` equal to the GGUF's byte-level BPE, and its special tokens.

    Supported: ``tokenizer.ggml.model == "gpt2"`` (byte-level BPE). The ``smollm`` pre-tokenizer
    splits digits one by one before the GPT-2 byte-level split, as SmolLM's own does."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    meta, path = model.metadata, model.path
    kind = str(meta.get("tokenizer.ggml.model", ""))
    if kind != "gpt2":
        raise PunieError(
            f"{path}: tokenizer model {kind!r} is not supported (only byte-level BPE, 'gpt2')"
        )
    tokens = _strings(meta, "tokenizer.ggml.tokens", path)
    merges = _strings(meta, "tokenizer.ggml.merges", path)
    types_array: Any = meta.get("tokenizer.ggml.token_type")
    types: list[int] = (
        [int(t) for t in cast(list[Any], types_array.tolist())]
        if isinstance(types_array, mx.array)
        else [1] * len(tokens)
    )
    vocab = {token: index for index, token in enumerate(tokens)}
    pairs = [tuple(line.split(" ", 1)) for line in merges]
    bpe = models.BPE(
        vocab=vocab,
        merges=[(a, b) for a, b in pairs],
        fuse_unk=False,
        byte_fallback=False,
    )
    tokenizer: Any = Tokenizer(bpe)
    pre = str(meta.get("tokenizer.ggml.pre", "gpt2"))
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    if pre == "smollm":
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True), byte_level]
        )
    else:
        tokenizer.pre_tokenizer = byte_level
    tokenizer.decoder = decoders.ByteLevel()
    special = [tokens[i] for i, kind_id in enumerate(types) if kind_id == 3]
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special])
    return tokenizer, special
