"""End-to-end validation: a model's code is executed against real tools on held-out repos and its
answers are checked against ground truth computed when the suite was built."""

from punie.training.validate.overlap import find_overlap, training_dataset
from punie.training.validate.report import ValidationReport, compare, load_report
from punie.training.validate.run import run_suite, validate_model
from punie.training.validate.score import CaseResult, score_case
from punie.training.validate.suite import (
    build_suite,
    build_suites,
    load_suite,
    save_suite,
    suite_sha256,
)

__all__ = [
    "CaseResult",
    "ValidationReport",
    "build_suite",
    "build_suites",
    "compare",
    "find_overlap",
    "load_report",
    "load_suite",
    "run_suite",
    "save_suite",
    "score_case",
    "suite_sha256",
    "training_dataset",
    "validate_model",
]
