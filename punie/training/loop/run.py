"""``punie loop``: harvest -> build -> audit -> train -> fuse/quantize -> validate before and
after -> report, on the bundled sandboxes with the embedded default model.

Every stage writes into ``workdir`` and is resumable: the harvest skips what it did, the suite is
built once (its ground truth frozen), and a stage whose output exists is reused when asked.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import anyio

from punie.agent.loop import CONSTRAIN
from punie.errors import PunieError
from punie.training.dataset.tokens import load_tokenizer
from punie.training.loop.config import LoopConfig
from punie.training.loop.recipes import ROUND, SCRATCH_IN_LOOP, recipe_for
from punie.training.loop.replay import add_all, add_replay, fold_round, questions
from punie.training.loop.report import before_after_rows, table_text, write_report
from punie.training.train.config import TrainConfig
from punie.training.train.data import corrected_rows, find_dataset_files

__all__ = ["LoopResult", "run_loop", "validate_model"]

Say = Callable[[str], None]


@dataclass
class LoopResult:
    workdir: Path
    report: Path
    before: dict[str, Any]
    after: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict[str, float])
    model: Path | None = None
    """The trained (float) model directory."""
    warnings: tuple[str, ...] = ()
    """The dataset audit's warnings."""

    def table(self) -> str:
        return table_text(before_after_rows(self.before, self.after))


async def _suite(config: LoopConfig, say: Say) -> tuple[Path, Path]:
    """The held-out suite (held-out repos, held-out phrasings) and its diagnostic twin (the
    same repos asked with the phrasings the model was trained on)."""
    from punie.training.validate import build_suites, save_suite

    path, seen = config.workdir / "suite.json", config.workdir / "suite-seen-phrasings.json"
    if path.exists() and seen.exists():
        say(f"suite: reusing {path} and {seen}")
        return path, seen
    sources: list[str] = []
    for spec in config.holdout_repos:
        if "==" in spec:
            from punie.sandboxes import fetch

            try:
                fetch(spec)
            except PunieError as exc:
                if not config.extra_holdout_ok:
                    raise
                say(f"suite: skipping {spec}: {exc}")
                continue
            sources.append(spec.split("==")[0] + "-" + spec.split("==")[1])
        else:
            sources.append(spec)
    suites, repos = await build_suites(
        sources, per_intent=config.suite_per_intent, seed=config.seed + 1
    )
    save_suite(path, suites["holdout"], repos)
    save_suite(seen, suites["train"], repos)
    say(f"suite: {len(suites['holdout'])} held-out cases on {', '.join(repos)}")
    return path, seen


async def validate_model(
    model: Path,
    suite: Path,
    out: Path,
    config: LoopConfig,
    say: Say,
    constrain: bool = CONSTRAIN,
    allow_overlap: bool = False,
    untrained: bool = False,
    every: int = 1,
) -> dict[str, Any]:
    """One validation run of the loop, saved to ``out``; returns the report's JSON.

    ``untrained``: the base before training, on every ``base_every``-th case and its first
    ``base_max_steps`` replies (it writes no programs yet, and each failed reply makes the next
    prompt longer: the full suite at user settings would cost more than training). ``every``:
    validate every k-th case only (``untrained`` implies ``base_every``)."""
    from punie.training.validate import CaseResult
    from punie.training.validate import validate_model as run_validation

    done = [0, 0]
    total = config.validate_limit

    def progress(case: CaseResult) -> None:
        done[0] += 1
        done[1] += int(case.answer_ok)
        if done[0] % 10 == 0:
            say(f"validate {model.name}: {done[0]} cases, {done[1]} correct")

    report = await run_validation(
        str(model),
        suite,
        limit=total,
        every=config.base_every if untrained else every,
        max_steps=config.base_max_steps if untrained else config.max_steps,
        max_tokens=config.max_tokens,
        constrain=constrain,
        allow_overlap=allow_overlap,
        progress=progress,
        batch_size=config.validate_batch,
    )
    say(f"validate {model.name}: {len(report.cases)} cases, {done[1]} correct")
    report.save(out)
    return report.to_json()


Column = tuple[str, dict[str, Any], str]
"""A report table column: (header, validation report JSON, metric key)."""


def _percent_table(columns: list[Column]) -> str:
    """A Markdown table: one row per category of the first report, then overall."""
    lines = [
        "| category | " + " | ".join(header for header, _, _ in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]

    def cell(report: dict[str, Any], name: str, key: str) -> str:
        row = report["overall"] if name == "overall" else report["by_category"].get(name, {})
        return f"{100 * row.get(key, 0.0):.0f}%"

    for name in [*sorted(columns[0][1]["by_category"]), "overall"]:
        cells = [cell(report, name, key) for _, report, key in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


async def _scratch_model(config: LoopConfig, traces: Path, suite: Path, say: Say) -> dict[str, Any]:
    """punie's from-scratch tiny model through the same loop: the same traces, its own
    recipe, the same suite."""
    from punie.training.base_model.build import ensure_default_model
    from punie.training.dataset.build import build_dataset
    from punie.training.train.run import train_model

    work = config.workdir / "scratch"
    tiny = ensure_default_model(work / "base")
    data = work / "data"
    build_dataset(traces, data, seed=config.seed, tokenizer_dir=tiny)
    trained = await anyio.to_thread.run_sync(
        lambda: train_model(
            data,
            tiny,
            work / "train",
            dataclasses.replace(config.scratch_train or SCRATCH_IN_LOOP, seed=config.seed),
            quiet=True,
        )
    )
    return await validate_model(
        trained.float_model_path,
        suite,
        work / "after.json",
        config,
        say,
        every=config.scratch_every,
    )


def _scratch_text(
    before: dict[str, Any], after: dict[str, Any], scratch: dict[str, Any], config: LoopConfig
) -> str:
    intro = (
        "The same held-out suite: the pretrained base before training (first reply, "
        f"{_every(config.base_every)}, n={_n(before)}), after this loop "
        f"(n={_n(after)}), and punie's from-scratch 4.5M-parameter tiny model trained on "
        "the same traces with its own recipe (full fine-tune, "
        f"{(config.scratch_train or SCRATCH_IN_LOOP).iters} iterations; "
        f"{_every(config.scratch_every)}, n={_n(scratch)})."
    )
    table = _percent_table(
        [
            ("tool, base untrained", before, "tool_ok"),
            ("tool, base trained", after, "tool_ok"),
            ("tool, tiny trained", scratch, "tool_ok"),
            ("correct, base untrained", before, "answer_ok"),
            ("correct, base trained", after, "answer_ok"),
            ("correct, tiny trained", scratch, "answer_ok"),
        ]
    )
    return f"{intro}\n\n{table}"


async def _harvest_corpus(config: LoopConfig, traces: Path, say: Say) -> str:
    """The corpus's repos into the same store, on worker processes; a summary line."""
    from punie.training.harvest.corpus import corpus_path, fetch_corpus
    from punie.training.harvest.parallel import ParallelOptions, harvest_parallel
    from punie.training.harvest.pool import ProcessPool
    from punie.training.harvest.runner import HarvestConfig

    assert config.corpus is not None
    fetched = await anyio.to_thread.run_sync(lambda: fetch_corpus(corpus_path(str(config.corpus))))
    for spec, why in fetched.failed.items():
        say(f"corpus: left out {spec}: {why}")
    finished = [0]

    def progress(repo: str, done: int, total: int) -> None:
        if done >= total:
            finished[0] += 1
            say(f"corpus harvest: {repo} done ({finished[0]} of {len(fetched.repos)} repos)")

    report = await harvest_parallel(
        HarvestConfig(
            repos=tuple(fetched.repos),
            out=traces,
            seed=config.seed,
            per_intent=config.corpus_per_intent,
            limit=config.corpus_limit,
        ),
        ProcessPool(),
        ParallelOptions(workers=config.harvest_workers),
        progress=progress,
    )
    failed = {r.repo: r.failure for r in report.repos if r.failure}
    left_out = {**fetched.failed, **{k: v or "" for k, v in failed.items()}}
    text = (
        f"Corpus {config.corpus}: {report.kept} verified traces from "
        f"{len(report.repos) - len(failed)} repos on {config.harvest_workers} worker processes "
        f"({report.traces_per_minute:.0f}/min)"
    )
    if left_out:
        text += "; left out: " + "; ".join(f"{k} ({v})" for k, v in left_out.items())
    return text + "."


def _n(report: dict[str, Any]) -> object:
    return cast(dict[str, Any], report.get("overall") or {}).get("n")


def _every(k: int) -> str:
    """``every case``, ``every second case``, ..."""
    return "every " + {1: "", 2: "second ", 3: "third "}.get(k, f"{k}th ") + "case"


def _coverage_text(before: dict[str, Any], after: dict[str, Any], data: Path) -> str:
    """Correct answers before and after the round, on the suite cases whose question the
    deployment traces hold and on all the others (no forgetting)."""
    from punie.training.validate.report import wilson

    asked = questions(data)
    old = {str(c["uid"]): c for c in before.get("cases", [])}
    rows = ["| cases | n | correct before | correct after |", "|---|---|---|---|"]
    for label, wanted in (("covered by the traces", True), ("not covered", False)):
        cases = [
            c for c in after.get("cases", []) if (str(c["question"]).strip() in asked) == wanted
        ]
        hits_after = sum(bool(c["answer_ok"]) for c in cases)
        hits_before = sum(bool(old.get(str(c["uid"]), {}).get("answer_ok")) for c in cases)
        n = len(cases)

        def cell(hits: int, n: int = n) -> str:
            lo, hi = wilson(hits, n)
            return f"{hits}/{n} [{100 * lo:.0f}-{100 * hi:.0f}%]" if n else "-"

        rows.append(f"| {label} | {n} | {cell(hits_before)} | {cell(hits_after)} |")
    return "\n".join(rows)


def _constrained_text(plain: dict[str, Any], constrained: dict[str, Any]) -> str:
    """The same trained model with the constraint (the default) and without it."""
    return _percent_table(
        [("correct, free", plain, "answer_ok"), ("correct, constrained", constrained, "answer_ok")]
    )


def _seen_text(held_out: dict[str, Any], seen: dict[str, Any]) -> str:
    """The trained model on held-out repos: new wording against wording seen in training."""
    intro = (
        "The trained model on the same held-out repos, asked with the phrasings it was trained "
        "on (new repos and symbols, known wording), beside the held-out phrasings: it separates "
        "learning the tools from understanding new wording. Questions without a symbol repeat "
        "training questions word for word (flagged as overlap in the report JSON)."
    )
    table = _percent_table(
        [
            ("tool, held-out wording", held_out, "tool_ok"),
            ("tool, seen wording", seen, "tool_ok"),
            ("correct, held-out wording", held_out, "answer_ok"),
            ("correct, seen wording", seen, "answer_ok"),
        ]
    )
    return f"{intro}\n\n{table}"


async def run_loop(config: LoopConfig, say: Say) -> LoopResult:
    from punie.training.base_model.build import is_model_dir
    from punie.training.base_model.importer import ensure_default_base
    from punie.training.dataset.audit import audit_dataset
    from punie.training.dataset.build import build_dataset
    from punie.training.harvest.runner import HarvestConfig, harvest
    from punie.training.train.run import train_model

    workdir = config.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    sections: dict[str, str] = {}

    def stage(name: str) -> Callable[[], None]:
        started = time.perf_counter()
        say(f"== {name}")

        def done() -> None:
            seconds[name] = time.perf_counter() - started
            say(f"   {name}: {seconds[name]:.1f} s")

        return done

    end = stage("base model")
    if config.base_model is not None and not is_model_dir(config.base_model):
        raise PunieError(
            f"base model {config.base_model} is not a model directory "
            "(config.json, tokenizer.json and model.safetensors)"
        )
    base = config.base_model or ensure_default_base()
    end()

    end = stage("harvest")
    traces = workdir / "traces.db"
    harvested = await harvest(
        HarvestConfig(
            repos=config.train_repos,
            out=traces,
            seed=config.seed,
            per_intent=config.per_intent,
            recovery=config.recovery,
        )
    )
    end()
    rejected = ", ".join(f"{k}: {v}" for k, v in harvested.rejected.most_common()) or "none"
    sections["Harvest"] = (
        f"{harvested.kept} verified traces this run ({harvested.traces_per_minute:.0f}/min) "
        f"from {', '.join(config.train_repos)}; rejected: {rejected}."
    )
    if config.corpus is not None:
        end = stage("corpus harvest")
        sections["Harvest"] += "\n\n" + await _harvest_corpus(config, traces, say)
        end()

    end = stage("dataset build")
    data = workdir / "data"
    built = build_dataset(traces, data, seed=config.seed, tokenizer_dir=base)
    end()
    sections["Dataset"] = f"{built.samples} samples in {data} (card: {data / 'DATASET.md'})."

    end = stage("dataset audit")
    audit = audit_dataset(data, tokenizer=load_tokenizer(base))
    end()
    if audit.errors:
        first = "; ".join(str(p) for p in audit.errors[:5])
        raise PunieError(f"dataset {data} fails the audit: {first}")
    warnings = [str(p) for p in audit.problems if p.severity != "error"]
    for warning in warnings:
        say(f"audit warning: {warning}")
    sections["Audit"] = (
        "passed, with warnings:\n" + "\n".join(f"- {w}" for w in warnings)
        if warnings
        else "passed, no warnings."
    )

    end = stage("suite")
    suite, seen_suite = await _suite(config, say)
    end()

    end = stage("validate before")
    before = await validate_model(base, suite, workdir / "before.json", config, say, untrained=True)
    end()

    end = stage("train")
    recipe = config.train or recipe_for(base)
    if config.iters is not None:
        recipe = dataclasses.replace(recipe, iters=config.iters)
    train_config = dataclasses.replace(
        recipe,
        seed=config.seed,
        warmup_steps=min(recipe.warmup_steps, recipe.iters // 4),
        steps_per_eval=min(recipe.steps_per_eval, max(1, recipe.iters // 4)),
    )
    trained = await anyio.to_thread.run_sync(
        lambda: train_model(data, base, workdir / "train", train_config, quiet=True, log=say)
    )
    end()
    sections["Training"] = (
        f"{train_config.method}, {train_config.iters} iterations, "
        f"loss {trained.first_train_loss:.3f} -> "
        f"{trained.final_train_loss:.3f}; kept iteration {trained.best_iteration} "
        f"({train_config.select}: validation loss {trained.best_val_loss:.3f}); quantized "
        f"model: {trained.quantized_model_path}. "
        "Validated on the float model (quantized inference is slower on this CPU)."
    )

    end = stage("validate after")
    after = await validate_model(
        trained.float_model_path, suite, workdir / "after.json", config, say
    )
    end()
    if config.diagnostics:
        end = stage("validate after, free decoding")
        free = await validate_model(
            trained.float_model_path,
            suite,
            workdir / "after-free.json",
            config,
            say,
            constrain=False,
        )
        end()
        sections["Symbol-constrained decoding"] = _constrained_text(free, after)

        end = stage("validate after, seen phrasings")
        seen = await validate_model(
            trained.float_model_path,
            seen_suite,
            workdir / "after-seen-phrasings.json",
            config,
            say,
            allow_overlap=True,
        )
        end()
        sections["Held-out repos, seen phrasings (diagnostic)"] = _seen_text(after, seen)

    if config.compare_scratch:
        end = stage("from-scratch tiny model, same traces")
        scratch = await _scratch_model(config, traces, suite, say)
        end()
        sections["Pretrained base against the from-scratch tiny model"] = _scratch_text(
            before, after, scratch, config
        )

    sections["Time"] = "\n".join(f"- {k}: {v:.1f} s" for k, v in seconds.items())
    report = write_report(workdir, before, after, sections)
    if config.registry is not None:
        from punie.training.loop.registry import record_trained

        record_trained(trained.float_model_path, base, report, after["overall"], config.registry)
    (workdir / "loop.json").write_text(
        json.dumps({"seconds": seconds, "before": before["overall"], "after": after["overall"]})
        + "\n"
    )
    return LoopResult(
        workdir, report, before, after, seconds, trained.float_model_path, tuple(warnings)
    )


def _retrain_recipe(
    config: LoopConfig, base: Path, card: dict[str, Any], data: Path, source: Path
) -> TrainConfig:
    """The first round's recipe for a round that retrains ``base``: its steps scaled by how
    many more samples a pass visits (the deployment samples, corrections ``repeat`` times),
    so each sample is seen as often as in the first round (an explicit ``round_train`` is
    scaled the same way; ``--iters`` sets the steps)."""
    recipe = config.round_train or dataclasses.replace(
        config.train or recipe_for(base), repeat_corrected=ROUND.repeat_corrected
    )
    if config.iters:
        iters = config.iters
    else:
        first = int(card.get("config", {}).get("iters") or recipe.iters)
        files = find_dataset_files(data)
        rows = len(files.train.read_text(encoding="utf-8").splitlines())
        flags = corrected_rows(files) or [False] * rows
        visits = sum(recipe.repeat_corrected if c else 1 for c in flags)
        loop_rows = len((source / "train.jsonl").read_text(encoding="utf-8").splitlines()) or 1
        iters = max(1, round(first * visits / loop_rows))
    return dataclasses.replace(
        recipe, iters=iters, warmup_steps=min(recipe.warmup_steps, iters // 4)
    )


def _loop_base(config: LoopConfig, card: dict[str, Any]) -> Path:
    """The base model the loop trained (``--base-model``, else the one its model card names
    where it still is, else the default base)."""
    from punie.training.base_model.build import is_model_dir
    from punie.training.base_model.importer import ensure_default_base

    if config.base_model is not None:
        return config.base_model
    recorded = card.get("base_model", {}).get("path")
    if recorded and is_model_dir(Path(str(recorded))):
        return Path(str(recorded))
    return ensure_default_base()


async def run_from_traces(config: LoopConfig, traces: Path, say: Say) -> LoopResult:
    """Retrain on deployment traces (labelled REPL sessions): continue the last loop's model
    with LoRA on them and replay, or (``round_from="base"``) retrain the base model on the
    loop's data with them added."""
    from punie.training.dataset.audit import audit_dataset
    from punie.training.dataset.build import build_dataset
    from punie.training.train.run import train_model

    workdir = config.workdir
    card_path = workdir / "train" / "model_card.json"
    after_path = workdir / "after.json"
    if not card_path.is_file() or not after_path.is_file():
        raise PunieError(f"no finished loop in {workdir}: run `punie loop` first")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    last_model = Path(str(card["outputs"]["float"]["path"]))
    before = json.loads(after_path.read_text(encoding="utf-8"))
    round_dir = workdir / "from-traces"
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    data = round_dir / "data"
    built = build_dataset(traces, data, seed=config.seed, tokenizer_dir=last_model)
    if built.samples == 0:
        raise PunieError(f"{traces} has no usable traces (label turns with /good or /bad + fix)")
    fold_round(data, workdir / "data")
    if config.round_from == "base":
        start = _loop_base(config, card)
        replayed = add_all(data, workdir / "data", config.seed, config.round_weigh_labels)
        recipe = _retrain_recipe(config, start, card, data, workdir / "data")
        mixed = f"the loop's {replayed} training samples, retrained from the base model {start}"
    else:
        start = last_model
        replayed = add_replay(data, workdir / "data", config.replay, config.seed)
        recipe = config.round_train or ROUND
        recipe = dataclasses.replace(
            recipe, iters=max(20, config.iters // 5) if config.iters else recipe.iters
        )
        mixed = (
            f"{replayed} samples replayed from the loop's own training split "
            "(so the rest is not forgotten)"
        )
    audit = audit_dataset(data, tokenizer=load_tokenizer(last_model))
    if audit.errors:
        raise PunieError(f"dataset {data} fails the audit: {audit.errors[0]}")
    seconds["build"] = time.perf_counter() - started
    started = time.perf_counter()
    trained = await anyio.to_thread.run_sync(
        lambda: train_model(
            data,
            start,
            round_dir / "train",
            dataclasses.replace(recipe, seed=config.seed),
            quiet=True,
            log=say,
        )
    )
    seconds["train"] = time.perf_counter() - started
    started = time.perf_counter()
    after = await validate_model(
        trained.float_model_path,
        Path(before["suite"]),
        round_dir / "after.json",
        config,
        say,
        allow_overlap=True,  # the traces may cover suite cases: reported apart below
    )
    seconds["validate"] = time.perf_counter() - started
    sections = {
        "Deployment traces": (
            f"{built.samples} samples from {traces}, trained together with {mixed}, "
            f"{recipe.iters} steps, corrections visited {recipe.repeat_corrected}x per pass."
        ),
        "Cases the traces cover, and the rest": _coverage_text(before, after, data),
        "Time": "\n".join(f"- {k}: {v:.1f} s" for k, v in seconds.items()),
    }
    report = write_report(round_dir, before, after, sections)
    if config.registry is not None:
        from punie.training.loop.registry import record_trained

        record_trained(trained.float_model_path, start, report, after["overall"], config.registry)
    return LoopResult(round_dir, report, before, after, seconds, trained.float_model_path)
