"""Training with real mlx-lm on a tiny model built offline: init, chat template, full training,
LoRA and DoRA (over a quantized model), fuse, quantize, generation, symbol-constrained decoding,
and the errors a user sees for bad inputs.

Training runs go through the ``punie`` command in a subprocess, which loads OpenBLAS before MLX
(see punie.model.openblas); this process preloads it too when it still can.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

from punie.model.openblas import find_openblas, preload_in_process

preload_in_process()  # before mlx is imported below, when no earlier test module imported it

import mlx.core as mx  # noqa: E402
import pytest  # noqa: E402

from punie.agent.messages import EXECUTE_CODE_TOOL, assistant_code_message, tool_message  # noqa: E402
from punie.agent.parse import CodeAction, parse_reply  # noqa: E402
from punie.agent.symbols import result_types  # noqa: E402
from punie.errors import PunieError  # noqa: E402
from punie.model.code_constraint import CodeConstraint  # noqa: E402
from punie.model.constrained import (  # noqa: E402
    SymbolConstraint,
    Vocabulary,
    make_symbol_constraint,
)
from punie.model.hashing import weights_sha256  # noqa: E402
from punie.model.mlx_api import module  # noqa: E402
from punie.model.program_shape import CodeState, code_state  # noqa: E402
from punie.training.base_model.build import ensure_default_model, init_tiny_model  # noqa: E402
from punie.training.train.config import load_config  # noqa: E402
from punie.training.train.run import train_model  # noqa: E402

SYSTEM = (
    "Answer questions about the repository with execute_code. In the code call "
    "goto_definition(symbol), find_references(symbol), hover(symbol), document_symbols(file) "
    "and workspace_symbols(query); each returns a result object. Call final_answer(text) to answer."
)

EXAMPLES: list[tuple[str, str, str, str]] = [
    (
        "Where is Cart defined?",
        'd = goto_definition("Cart")\nloc = d.locations[0]\nfinal_answer(f"{loc.file}:{loc.line}")',
        "shop/cart.py:8",
        "Cart is defined in shop/cart.py at line 8.",
    ),
    (
        "How many places call add_item?",
        'refs = find_references("add_item")\n'
        'final_answer(f"{refs.count} in {refs.file_count} files")',
        "4 in 2 files",
        "add_item is used 4 times in 2 files.",
    ),
    (
        "What is the signature of total_price?",
        'h = hover("total_price")\nfinal_answer(h.signature)',
        "def total_price(self) -> Decimal",
        "total_price(self) returns a Decimal.",
    ),
    (
        "Which functions does shop/tax.py define?",
        'syms = document_symbols("shop/tax.py")\n'
        'final_answer(", ".join(s.name for s in syms.symbols))',
        "rate_for, apply_tax",
        "shop/tax.py defines rate_for and apply_tax.",
    ),
    (
        "Who uses apply_tax?",
        'refs = find_references("apply_tax")\n'
        "for loc in refs.locations:\n    print(loc.file, loc.line)",
        "shop/cart.py 31\nshop/checkout.py 12",
        "apply_tax is called in shop/cart.py line 31 and shop/checkout.py line 12.",
    ),
    (
        "Find the class named Inventory.",
        'res = workspace_symbols("Inventory")\nfinal_answer(res.symbols[0].file)',
        "shop/inventory.py",
        "Inventory lives in shop/inventory.py.",
    ),
]


def _samples(question: str, code: str, output: str, answer: str) -> list[dict[str, Any]]:
    """One sample per assistant turn (prompts are masked, only the last message trains)."""
    head: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": question},
    ]
    call = dict(assistant_code_message(code))
    first = [*head, call]
    second = [*first, dict(tool_message(output)), {"role": "assistant", "content": answer}]
    return [
        {"messages": first, "tools": [EXECUTE_CODE_TOOL]},
        {"messages": second, "tools": [EXECUTE_CODE_TOOL]},
    ]


def _write_dataset(directory: Path) -> Path:
    rows = [s for ex in EXAMPLES for s in _samples(*ex)]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:8]))
    (directory / "valid.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[8:]))
    return directory


def _punie(*args: str, timeout: float = 240) -> dict[str, Any]:
    """Run the real CLI in a fresh process (OpenBLAS is loaded there before MLX) with --json."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.run(
        [sys.executable, "-c", "from punie.cli import main; raise SystemExit(main())", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "tiny"
    result = init_tiny_model(out, seed=7)
    assert 3_000_000 < result.parameters < 6_000_000
    assert result.weights_sha256 == weights_sha256(out)
    return out


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_dataset(tmp_path_factory.mktemp("data") / "ds")


@pytest.fixture(scope="session")
def full_run(tiny: Path, dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("runs") / "full"
    return _punie(
        "train",
        "--data", str(dataset),
        "--model", str(tiny),
        "--out", str(out),
        "--method", "full",
        "--iters", "24",
        "--batch-size", "2",
        "--steps-per-eval", "8",
        "--seed", "3",
        "--json",
    )  # fmt: skip


def _generate(model: Any, tokenizer: Any, prompt: Any, max_tokens: int) -> tuple[list[int], str]:
    """Greedy generation with mlx-lm; the token ids (EOS included) and the text."""
    stream_generate = module("mlx_lm.generate").stream_generate
    tokens: list[int] = []
    text: list[str] = []
    for response in stream_generate(model, tokenizer, prompt, max_tokens=max_tokens):
        tokens.append(int(response.token))
        text.append(response.text)
    return tokens, "".join(text)


def _render(tokenizer: Any, messages: list[dict[str, Any]], **kwargs: Any) -> str:
    return tokenizer.apply_chat_template(
        messages, tools=[EXECUTE_CODE_TOOL], tokenize=False, **kwargs
    )


def test_init_is_reproducible_and_loads(tiny: Path, tmp_path: Path) -> None:
    first = init_tiny_model(tmp_path / "first", seed=7)
    again = init_tiny_model(tmp_path / "again", seed=7)
    assert first.weights_sha256 == again.weights_sha256 == weights_sha256(tiny)
    # The tokenizer is a function of the corpus (punie's own source is part of it, and may be
    # edited between two builds): equal corpora must give byte-identical tokenizers.
    if first.corpus_sha256 == again.corpus_sha256:
        assert (tmp_path / "first" / "tokenizer.json").read_bytes() == (
            tmp_path / "again" / "tokenizer.json"
        ).read_bytes()
    other = init_tiny_model(tmp_path / "other", seed=8)
    assert other.weights_sha256 != again.weights_sha256

    model, tokenizer = module("mlx_lm").load(str(tiny))
    config = json.loads((tiny / "config.json").read_text())
    assert config["model_type"] == "qwen3"
    assert config["hidden_size"] % 64 == 0 and config["intermediate_size"] % 64 == 0
    assert 4000 <= len(tokenizer.get_vocab()) <= 8192
    # mlx-lm recognises the Qwen3-Coder tool-call format from the template.
    assert tokenizer.has_tool_calling and tokenizer.tool_call_start == "<tool_call>"
    for special in ("<|im_start|>", "<|im_end|>", "<tool_response>", "</tool_call>"):
        assert len(tokenizer.encode(special, add_special_tokens=False)) == 1
    logits = model(mx.array([tokenizer.encode("def main():")]))
    assert logits.shape[-1] == config["vocab_size"]


def test_chat_template_renders_programs_as_python_blocks(tiny: Path) -> None:
    tokenizer = module("mlx_lm").load(str(tiny))[1]
    code = 'refs = find_references("add_item")\nprint(refs.count)'
    messages = [
        {"role": "system", "content": "You are punie."},
        {"role": "user", "content": "Who calls add_item?"},
        assistant_code_message(code, "Let me look."),
        tool_message("4"),
        tool_message("second output"),
        {"role": "assistant", "content": "Four places."},
    ]
    description = EXECUTE_CODE_TOOL["function"]["description"]
    expected = (
        "<|im_start|>system\nYou are punie.\n\n# Tools\n\n"
        "You have access to the following functions:\n\n"
        "<tools>\n<function>\n<name>execute_code</name>\n"
        f"<description>{description}</description>\n"
        "<parameters>\n<parameter>\n<name>code</name>\n<type>string</type>\n"
        "<description>The Python program to run.</description>\n</parameter>\n"
        '<required>["code"]</required>\n</parameters>\n</function>\n</tools>'
    )
    rendered = _render(tokenizer, messages)
    assert rendered.startswith(expected)
    assert "reply with one Python block" in rendered and "\n```python\n" in rendered
    conversation = rendered[rendered.index("<|im_end|>\n") + len("<|im_end|>\n") :]
    assert conversation == (
        "<|im_start|>user\nWho calls add_item?<|im_end|>\n"
        "<|im_start|>assistant\nLet me look.\n\n"
        f"```python\n{code}\n```<|im_end|>\n"
        "<|im_start|>user\n<tool_response>\n4\n</tool_response>\n"
        "<tool_response>\nsecond output\n</tool_response>\n<|im_end|>\n"
        "<|im_start|>assistant\nFour places.<|im_end|>\n"
    )
    prompt = _render(tokenizer, messages[:2], add_generation_prompt=True)
    assert prompt.endswith(
        "<|im_start|>user\nWho calls add_item?<|im_end|>\n<|im_start|>assistant\n"
    )
    # Without content the block follows the assistant header directly; no tools, no section.
    bare = tokenizer.apply_chat_template(
        [{"role": "user", "content": "q"}, assistant_code_message("print(1)")], tokenize=False
    )
    assert bare == (
        "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n```python\nprint(1)\n```<|im_end|>\n"
    )
    # punie's parser reads the rendered program back, as it does the model's reply.
    reply = conversation.split("<|im_start|>assistant\n")[1].split("<|im_end|>")[0]
    parsed = parse_reply(reply)
    assert isinstance(parsed, CodeAction) and parsed.code == code and parsed.form == "fence"
    assert parsed.preamble == "Let me look." and parsed.recovered is None
    # Any other call keeps Qwen3-Coder's XML layout, which mlx-lm's own parser reads back.
    other = {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"function": {"name": "lookup", "arguments": {"name": "Cart"}}}],
    }
    xml = tokenizer.apply_chat_template([{"role": "user", "content": "q"}, other], tokenize=False)
    assert "<tool_call>\n<function=lookup>\n<parameter=name>\nCart\n</parameter>\n" in xml
    body = xml.split("<tool_call>")[1].split("</tool_call>")[0]
    lookup = {
        "type": "function",
        "function": {
            "name": "lookup",
            "parameters": {"type": "object", "properties": {"name": {"type": "string"}}},
        },
    }
    parsed_call = tokenizer.tool_parser(body, [lookup])
    assert parsed_call == {"name": "lookup", "arguments": {"name": "Cart"}}


def test_prompt_mask_covers_exactly_the_prompt(tiny: Path, dataset: Path) -> None:
    from punie.training.train.data import find_dataset_files, load_datasets

    tokenizer = module("mlx_lm").load(str(tiny))[1]
    train, valid, test = load_datasets(find_dataset_files(dataset), tokenizer)
    assert (len(train), len(valid), test) == (8, 4, None)
    tokens, offset = train.mlx_dataset[0]
    prompt = tokenizer.decode(tokens[:offset])
    target = tokenizer.decode(tokens[offset:])
    assert prompt.endswith("<|im_start|>assistant\n")
    assert target.startswith("```python\n") and target.endswith("\n```<|im_end|>\n")
    assert 0 < train.trained_tokens < train.tokens


def test_full_training_trains_every_parameter(
    full_run: dict[str, Any], tiny: Path, dataset: Path
) -> None:
    card = json.loads(Path(full_run["model_card"]).read_text())
    assert full_run["final_train_loss"] < full_run["first_train_loss"] - 1.0
    assert card["result"]["unchanged_parameter_tensors"] == 0
    assert card["result"]["trainable_parameters"] == card["base_model"]["parameters"]
    before = mx.load(str(tiny / "model.safetensors"))
    after = mx.load(str(Path(full_run["float_model_path"]) / "model.safetensors"))
    assert isinstance(before, dict) and isinstance(after, dict)
    assert set(before) == set(after)
    unchanged = [k for k in before if mx.array_equal(before[k], after[k]).item()]
    assert unchanged == []
    for name in ("model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"):
        assert name in before

    # Selection by validation loss, checkpoints, losses, plot and card.
    valid = {v["iteration"]: v["val_loss"] for v in card["losses"]["valid"]}
    assert set(valid) >= {0, 7, 15, 23, 24}
    assert full_run["best_val_loss"] == min(valid.values())
    assert valid[full_run["best_iteration"]] == full_run["best_val_loss"]
    out = Path(full_run["out"])
    assert (out / "losses.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "checkpoints" / "final_weights.safetensors").is_file()
    assert card["base_model"]["weights_sha256"] == weights_sha256(tiny)
    assert card["outputs"]["float"]["weights_sha256"] == weights_sha256(out / "model")
    assert card["dataset"]["splits"]["train"]["samples"] == 8
    assert len(card["dataset"]["sha256"]) == 64 and card["timing_seconds"]["train"] > 0
    assert "## Dataset" in (out / "MODEL.md").read_text()
    assert card["blas"]["mode"] in {"in_process", "ld_preload"} or find_openblas() is None

    # Quantized to 5 bits with mlx-lm; it loads and generates.
    quantized = Path(full_run["quantized_model_path"])
    config = json.loads((quantized / "config.json").read_text())
    assert config["quantization"]["bits"] == 5
    model, tokenizer = module("mlx_lm").load(str(quantized))
    prompt = _render(
        tokenizer,
        [{"role": "system", "content": SYSTEM}, {"role": "user", "content": EXAMPLES[0][0]}],
        add_generation_prompt=True,
    )
    tokens, _ = _generate(model, tokenizer, prompt, 24)
    assert tokens and all(0 <= t < config["vocab_size"] for t in tokens)


def test_lora_then_fuse_and_quantize(
    full_run: dict[str, Any], dataset: Path, tmp_path: Path
) -> None:
    base = Path(full_run["float_model_path"])
    # The last adapters, not the best checkpoint: after 4 steps the best by validation loss
    # can be iteration 0 (the base itself), and this test is about fusing adapters.
    final = tmp_path / "final.json"
    final.write_text(json.dumps({"select": "final"}))
    result = _punie(
        "train", "--data", str(dataset), "--model", str(base), "--out", str(tmp_path / "lora"),
        "--method", "lora", "--iters", "4", "--batch-size", "2", "--steps-per-eval", "2",
        "--config", str(final), "--json",
    )  # fmt: skip
    card = json.loads(Path(result["model_card"]).read_text())
    assert card["config"]["method"] == "lora"
    assert 0 < card["result"]["trainable_parameters"] < card["base_model"]["parameters"] / 10
    assert card["result"]["fused_adapter_layers"] > 0
    adapters = Path(card["outputs"]["adapters"]["path"])
    assert (adapters / "adapters.safetensors").is_file()
    fused = Path(result["float_model_path"])
    assert weights_sha256(fused) != weights_sha256(base)
    assert not any("lora" in k for k in mx.load(str(fused / "model.safetensors")))
    # The fused model equals base + adapters as mlx-lm applies them.
    with_adapters, tokenizer = module("mlx_lm").load(str(base), adapter_path=str(adapters))
    fused_model = module("mlx_lm").load(str(fused))[0]
    tokens = mx.array([tokenizer.encode("refs = find_references(")])
    apart, together = with_adapters(tokens), fused_model(tokens)
    # float32 sums in another order: ~1e-4 apart on logits of size ~10 (a wrong fuse is O(1))
    gap = mx.abs(apart - together).max().item()
    assert mx.allclose(apart, together, rtol=1e-4, atol=1e-3).item(), gap
    quantized = Path(result["quantized_model_path"])
    assert json.loads((quantized / "config.json").read_text())["quantization"]["bits"] == 5
    tokens, _ = _generate(module("mlx_lm").load(str(quantized))[0], tokenizer, "def ", 8)
    assert tokens


def test_the_same_data_and_config_train_the_same_weights(
    full_run: dict[str, Any], dataset: Path, tmp_path: Path
) -> None:
    """mlx-lm asks for batches without a seed; punie binds the config's, so a rerun (a loop on
    a fresh clone) trains the same model, not another draw of the batch order."""
    base = Path(full_run["float_model_path"])
    hashes = []
    for name in ("a", "b"):
        result = _punie(
            "train", "--data", str(dataset), "--model", str(base), "--out", str(tmp_path / name),
            "--method", "lora", "--iters", "6", "--batch-size", "2", "--steps-per-eval", "100",
            "--q-bits", "0", "--json",
        )  # fmt: skip
        hashes.append(weights_sha256(Path(result["float_model_path"])))
    assert hashes[0] == hashes[1]


def test_corrected_samples_are_visited_more_often(
    full_run: dict[str, Any], dataset: Path, tmp_path: Path
) -> None:
    """``repeat_corrected`` weighs the rows the meta file marks ``corrected`` (a round's
    corrections) without duplicate rows: one pass holds such a row that many times, and the
    trained weights differ from a run without it."""
    from punie.training.train.batches import Repeated, iterate_batches
    from punie.training.train.data import corrected_rows, find_dataset_files, load_datasets

    data = tmp_path / "ds"
    shutil.copytree(dataset, data)
    rows = (data / "train.jsonl").read_text().splitlines()
    flags = [i == 0 for i in range(len(rows))]
    meta = "".join(json.dumps({"corrected": f}) + "\n" for f in flags)
    (data / "train.meta.jsonl").write_text(meta)
    files = find_dataset_files(data)
    assert corrected_rows(files) == flags
    _, tokenizer = module("mlx_lm").load(str(Path(full_run["float_model_path"])))
    train, _, _ = load_datasets(files, tokenizer)
    view = Repeated(train.mlx_dataset, [3 if f else 1 for f in flags])
    assert len(view) == len(rows) + 2
    seen = [
        int(length)
        for _, lengths, _, _ in iterate_batches(view, 1, 2048, seed=0)
        for length in lengths[:, 1].tolist()
    ]
    assert seen.count(train.lengths[0]) >= 3
    with pytest.raises(ValueError, match="repeats for a dataset"):
        Repeated(train.mlx_dataset, [1])

    base = Path(full_run["float_model_path"])
    hashes = []
    # a whole pass of the weighted view, so the weighted row is surely visited (a few steps
    # may miss it: the batch order is drawn, and the rows' lengths follow the tokenizer)
    steps = str(len(view) // 2 + 1)
    for name, repeat in (("once", "1"), ("thrice", "3")):
        result = _punie(
            "train", "--data", str(data), "--model", str(base), "--out", str(tmp_path / name),
            "--method", "lora", "--iters", steps, "--batch-size", "2", "--steps-per-eval", "100",
            "--q-bits", "0", "--repeat-corrected", repeat, "--json",
        )  # fmt: skip
        hashes.append(weights_sha256(Path(result["float_model_path"])))
    assert hashes[0] != hashes[1]
    (data / "train.meta.jsonl").write_text(meta + meta)  # does not match the rows: ignored
    assert corrected_rows(find_dataset_files(data)) is None


def test_dora_over_a_quantized_model(full_run: dict[str, Any], tmp_path: Path) -> None:
    # Short samples without the tool list: quantized matmuls are slow on CPU.
    short = tmp_path / "short"
    short.mkdir()
    rows = [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
        for q, _, _, a in EXAMPLES
    ]
    (short / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:4]))
    (short / "valid.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[4:]))
    options = tmp_path / "dora.yaml"
    options.write_text("method: dora\niters: 3\nbatch_size: 2\nsteps_per_eval: 3\nlora_rank: 4\n")
    base = Path(full_run["quantized_model_path"])
    result = _punie(
        "train", "--data", str(short), "--model", str(base), "--out", str(tmp_path / "dora"),
        "--config", str(options), "--json",
    )  # fmt: skip
    card = json.loads(Path(result["model_card"]).read_text())
    assert card["config"]["method"] == "dora" and card["config"]["lora_rank"] == 4
    assert card["result"]["fused_adapter_layers"] > 0
    assert result["quantized_model_path"] is None
    assert any("already quantized" in note for note in result["notes"])
    fused = Path(result["model_path"])
    assert json.loads((fused / "config.json").read_text())["quantization"]["bits"] == 5
    assert weights_sha256(fused) != weights_sha256(base)
    model, tokenizer = module("mlx_lm").load(str(fused))
    assert _generate(model, tokenizer, "import ", 4)[0]


def test_constrained_decoding_writes_an_allowed_symbol(tiny: Path) -> None:
    model, tokenizer = module("mlx_lm").load(str(tiny))
    stream_generate = module("mlx_lm.generate").stream_generate
    symbols = ["Cart", "add_item", "apply_tax", "total_price", "Inventory.restock"]
    prompt = tokenizer.encode('refs = find_references("', add_special_tokens=False)

    def run(processors: list[Any]) -> str:
        pieces = [
            r.text
            for r in stream_generate(
                model, tokenizer, prompt, max_tokens=16, logits_processors=processors
            )
        ]
        return "".join(pieces)

    unconstrained = run([])
    constraint = SymbolConstraint(tokenizer, symbols)
    text = run([constraint])
    assert '"' in text, text
    written = text.split('"', 1)[0]
    assert written in symbols, (written, unconstrained)
    assert constraint.constrained_steps >= 2
    # Switched off, it changes nothing.
    assert run([SymbolConstraint(tokenizer, symbols, enabled=False)]) == unconstrained
    assert make_symbol_constraint(tokenizer, symbols, enabled=False) == []

    # The masks themselves, keyword arguments, and other quotes.
    tail = constraint.tail_bytes(
        tokenizer.encode('x = hover(symbol="Inv', add_special_tokens=False)
    )
    assert constraint.active_prefix(tail) == (b"Inv", ord('"'))
    assert constraint.active_prefix(b"goto_definition('Cart') + 1") is None
    allowed = {constraint.tail_bytes([t]) for t in constraint.allowed_tokens(b"Cart", ord('"'))}
    assert allowed and all(a.startswith(b'"') for a in allowed)
    assert all(
        b"total_price".startswith(b"tot" + constraint.tail_bytes([t]))
        for t in constraint.allowed_tokens(b"tot", ord('"'))
    )


def test_program_constraint_keeps_brackets_and_attributes_valid(tiny: Path) -> None:
    """Generation from the random tiny model: the constraint alone makes its program valid."""
    model, tokenizer = module("mlx_lm").load(str(tiny))
    stream_generate = module("mlx_lm.generate").stream_generate
    types = result_types()
    vocabulary = Vocabulary(tokenizer)
    head = "<|im_start|>assistant\n```python\n"

    def run(text: str, processors: list[Any], max_tokens: int = 6) -> str:
        prompt = tokenizer.encode(text, add_special_tokens=False)
        pieces = [
            r.text
            for r in stream_generate(
                model, tokenizer, prompt, max_tokens=max_tokens, logits_processors=processors
            )
        ]
        return "".join(pieces)

    # An attribute of the bound result type, at the first level and through an index.
    names = set(types.attributes["DefinitionResult"])
    constraint = CodeConstraint(vocabulary, types)
    text = run(head + 'r = goto_definition("Cart")\nfinal_answer(r.', [constraint], 16)
    # the identifier after ``r.`` (punie's fields are ASCII; a random model may go on with a
    # control byte, which the streaming detokenizer shows as a letter such as "Ā")
    written = re.match(r"[A-Za-z0-9_]*", text)
    assert written is not None and written.group() in names, text
    assert constraint.constrained_steps >= 1
    location = set(types.attributes["Location"])
    prefix = head + 'r = find_references("x")\nloc = r.locations[0]\nfinal_answer(loc.'
    written = re.match(r"[A-Za-z0-9_]*", run(prefix, [CodeConstraint(vocabulary, types)], 16))
    assert written is not None and written.group() in location

    # Every generated program closes only what it opened (brackets inside strings are text).
    for start in ('r = grep("TODO")\nfinal_answer(r.match_count', "x = [len(", "print("):
        text = run(head + start, [CodeConstraint(vocabulary, types)], max_tokens=24)
        program = start + text.split("```")[0]
        depth, quote = 0, ""
        for ch in program:
            if quote:
                quote = "" if ch in (quote, "\n") else quote
            elif ch in "\"'":
                quote = ch
            elif ch == "#":
                break
            else:
                depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
                assert depth >= 0, program

    # The states it reads: outside the program, in strings and comments it does nothing.
    assert code_state(b"final_answer(r.", types) is None
    assert code_state((head + 'r = grep("a(r.').encode(), types) is None  # in the string
    assert code_state((head + "x = 1  # (").encode(), types) is None
    assert code_state((head + "x = 1\n```\n").encode(), types) is None
    assert code_state(b"```pyth", types) is None  # the fence's first line is not complete
    assert code_state(b"```json\n{r.", types) is None  # not a Python block
    # Qwen3-Coder's XML layout (another model's template) is read as well.
    xml = "<tool_call>\n<function=execute_code>\n<parameter=code>\n"
    assert code_state((xml + 'r = grep("x")\nr.ma').encode(), types) == CodeState(
        b"", access=("GrepResult", "ma")
    )
    assert code_state((xml + "x = 1\n</parameter>\n").encode(), types) is None
    state = code_state((head + 'r = grep("x)")\nprint((r.ma').encode(), types)
    assert state == CodeState(b"((", access=("GrepResult", "ma"))
    state = code_state((head + "r = typecheck()\nfor d in r.diagnostics:\n    d").encode(), types)
    assert state == CodeState(b"", typed_name="Diagnostic")
    ended = code_state((head + 'r = grep("x")\nn = r.match_count\n').encode(), types)
    assert ended == CodeState(b"")  # the line ended: no attribute is being written
    unknown = code_state((head + "r = something()\nr.").encode(), types)
    assert unknown == CodeState(b"")
    # Outside strings only a line continuation may hold a backslash (``r.file\\_count`` cannot
    # be written); inside a string any can.
    width = len(vocabulary.token_bytes)
    plain = CodeConstraint(vocabulary, types).mask(CodeState(b""), width)
    assert plain is not None
    blocked = [i for i, v in enumerate(cast(list[float], plain.tolist())) if v == float("-inf")]
    data = vocabulary.token_bytes
    stray = [i for i, d in enumerate(data) if d.startswith(b"\\") and d[1:2] != b"\n"]
    assert stray and set(stray) <= set(blocked)
    assert not any(data[i].startswith(b"\\\n") for i in blocked)  # a line continuation
    assert code_state((head + 'print("a').encode(), types) is None  # so no mask in strings
    # A disabled constraint changes nothing. An unknown variable adds no attribute rule: its
    # mask is the plain one (brackets and backslashes only), whatever the random model writes.
    free = run(head + "q.", [])
    assert run(head + "q.", [CodeConstraint(vocabulary, types, enabled=False)]) == free
    after_unknown = code_state((head + "q.").encode(), types)
    assert after_unknown == CodeState(b"")
    unknown_mask = CodeConstraint(vocabulary, types).mask(after_unknown, width)
    assert unknown_mask is not None and bool(mx.array_equal(unknown_mask, plain).item())


def test_dataset_and_model_errors(tiny: Path, dataset: Path, tmp_path: Path) -> None:
    config = load_config(None, iters=1)
    bad = tmp_path / "bad"
    bad.mkdir()
    lines = (dataset / "train.jsonl").read_text().splitlines()
    lines[2] = lines[2][:-5]
    (bad / "train.jsonl").write_text("\n".join(lines) + "\n")
    (bad / "valid.jsonl").write_text((dataset / "valid.jsonl").read_text())
    with pytest.raises(PunieError, match=r"train\.jsonl line 3: malformed JSON"):
        train_model(bad, tiny, tmp_path / "o1", config)

    lines = (dataset / "train.jsonl").read_text().splitlines()
    sample = json.loads(lines[1])
    sample["messages"].append(tool_message("dangling"))
    lines[1] = json.dumps(sample)
    (bad / "train.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(PunieError, match=r"line 2: the last message is 'tool'"):
        train_model(bad, tiny, tmp_path / "o2", config)

    (bad / "valid.jsonl").unlink()
    with pytest.raises(PunieError, match=r"bad is missing valid\.jsonl"):
        train_model(bad, tiny, tmp_path / "o3", config)
    with pytest.raises(PunieError, match="does not exist"):
        train_model(tmp_path / "nowhere", tiny, tmp_path / "o4", config)

    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "no_such_architecture"}')
    (broken / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(PunieError, match="broken-model does not load"):
        train_model(dataset, broken, tmp_path / "o5", config)
    with pytest.raises(PunieError, match=r"model directory .*missing-model does not exist"):
        train_model(dataset, tmp_path / "missing-model", tmp_path / "o6", config)

    greedy = load_config(None, iters=1, memory_fraction=1e-9)
    with pytest.raises(PunieError, match="not enough memory to train"):
        train_model(dataset, tiny, tmp_path / "o7", greedy)
    with pytest.raises(PunieError, match="unknown option"):
        load_config(None, learning_rat=1.0)


def test_ensure_default_model_builds_once(tmp_path: Path) -> None:
    path = ensure_default_model(tmp_path / "default")
    stamp = (path / "model.safetensors").stat().st_mtime_ns
    assert ensure_default_model(path) == path
    assert (path / "model.safetensors").stat().st_mtime_ns == stamp
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.skipif(find_openblas() is None, reason="libopenblas0-pthread is not installed")
def test_openblas_reexec_sets_ld_preload() -> None:
    script = (
        "import sys, mlx.core\n"
        "from punie.model.openblas import ensure_openblas, reexec_with_openblas\n"
        "assert ensure_openblas(allow_reexec=False) == 'too_late'\n"
        "reexec_with_openblas([sys.executable, '-c', "
        '\'import os; print(os.environ["LD_PRELOAD"], os.environ["PUNIE_OPENBLAS_REEXEC"])\'])\n'
    )
    env = {k: v for k, v in os.environ.items() if k not in {"LD_PRELOAD", "PUNIE_OPENBLAS_REEXEC"}}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "libopenblas" in out.stdout and out.stdout.strip().endswith("1")
    off = subprocess.run(
        [sys.executable, "-c", "from punie.model.openblas import ensure_openblas\n"
         "print(ensure_openblas())"],
        capture_output=True, text=True, env=env | {"PUNIE_NO_OPENBLAS": "1"}, timeout=60,
    )  # fmt: skip
    assert off.stdout.strip() == "disabled"


def test_tight_batches_give_mlx_lm_batches_loss(tiny: Path, dataset: Path) -> None:
    """punie's batches pad to the batch's longest sample; the masked loss over all of them
    equals the loss over mlx-lm's own batches (padded to 1 + a multiple of 32)."""
    from punie.training.train.batches import iterate_batches
    from punie.training.train.data import find_dataset_files, load_datasets
    from punie.training.train.loss import masked_loss, output_layer

    model, tokenizer = module("mlx_lm").load(str(tiny))
    train, _, _ = load_datasets(find_dataset_files(dataset), tokenizer)
    reference = module("mlx_lm.tuner.trainer").iterate_batches

    def total(batches: Any, gathered: bool = True) -> tuple[float, int, list[int]]:
        loss_sum, tokens, widths = 0.0, 0, []
        for batch in batches:
            loss, ntoks = masked_loss(model, *(batch if gathered else batch[:2]))
            loss_sum += float(loss.item()) * int(ntoks.item())
            tokens += int(ntoks.item())
            widths.append(int(batch[0].shape[1]))
        return loss_sum / tokens, tokens, widths

    assert output_layer(model) is not None  # the output layer runs on trained positions only
    ours = total(iterate_batches(train.mlx_dataset, 2, 2048, seed=0))
    every = total(iterate_batches(train.mlx_dataset, 2, 2048, seed=0), gathered=False)
    theirs = total(reference(train.mlx_dataset, 2, 2048, seed=0))
    assert ours[1] == every[1] == theirs[1] > 0
    assert ours[0] == pytest.approx(theirs[0], rel=1e-4)
    assert ours[0] == pytest.approx(every[0], rel=1e-5)
    assert sum(ours[2]) < sum(theirs[2])  # less padding
    assert max(train.lengths) <= max(ours[2]) < max(train.lengths) + 8


def test_output_layer_on_trained_positions_gives_the_same_loss_and_gradients(
    tmp_path: Path,
) -> None:
    """On the imported SmolLM2 (llama, tied embedding) under LoRA, the loss with the output
    layer run on the trained positions only equals the loss over every position's logits,
    and so do its gradients; a padding position (weight 0) adds nothing."""
    import mlx.nn as nn
    import numpy as np
    from mlx.utils import tree_flatten

    from punie.training.base_model.importer import SMOLLM2, import_gguf, smollm2_gguf
    from punie.training.train.batches import trained_positions
    from punie.training.train.loss import masked_loss, output_layer

    out = tmp_path / "smollm2"
    import_gguf(smollm2_gguf(), out, source={"wheel": SMOLLM2.spec})
    model, _ = module("mlx_lm").load(str(out))
    model.freeze()
    module("mlx_lm.tuner.utils").linear_to_lora_layers(
        model, 2, {"rank": 4, "scale": 20.0, "dropout": 0.0}
    )
    assert output_layer(model) is not None
    rng = np.random.default_rng(0)
    width = 21
    batch = mx.array(rng.integers(1, 49000, (3, width)).astype(np.int32))
    offsets, lengths = [5, 0, 12], [21, 9, 17]
    spans = mx.array(list(zip(offsets, lengths, strict=True)))
    positions, weights = trained_positions(offsets, lengths, width - 1)
    assert int(weights.sum().item()) == (21 - 5) + (9 - 1) + (17 - 12)  # offset 0: from 1
    assert positions.shape[0] % 32 == 0
    grad = nn.value_and_grad(model, masked_loss)
    (every, n_every), g_every = grad(model, batch, spans)
    (picked, n_picked), g_picked = grad(model, batch, spans, positions, weights)
    assert int(n_every.item()) == int(n_picked.item())
    assert float(picked.item()) == pytest.approx(float(every.item()), rel=1e-5)
    flat_every, flat_picked = dict(tree_flatten(g_every)), dict(tree_flatten(g_picked))
    assert flat_every.keys() == flat_picked.keys() and flat_every
    for name, value in flat_every.items():
        scale = float(mx.abs(value).max().item()) or 1.0
        assert float(mx.abs(value - flat_picked[name]).max().item()) < 1e-4 * scale, name
