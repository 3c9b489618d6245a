"""Measured facts about the bundled sandboxes under ``sandboxes/``.

Every value here was measured with the real tools pinned by this project (pyright 1.1.414,
ruff 0.17.5, pytest) and is re-checked against them by ``tests/test_sandboxes.py``; other tests
use these as the expected answers when they drive the tools through punie.

Conventions: paths are POSIX and relative to the sandbox root; lines and columns are 1-based.

- ``type_errors``: ``(file, line, rule)`` for every error of ``pyright --outputjson`` run in the
  sandbox root (its pyproject pins ``typeCheckingMode = "standard"``, ``pythonVersion = "3.11"``).
- ``ruff_violations``: ``(file, line, code)`` of ``ruff check --output-format json`` run in the
  sandbox root WITH the sandbox's own config, which pins ``select = ["E4", "E7", "E9", "F"]``
  (the classic pyflakes + pycodestyle-error set).
- ``ruff_isolated_violations``: the same with ``--isolated``. ruff 0.17's built-in default rule
  set is much larger (about 400 rules: I, UP, B, SIM, FURB, ...) and no longer includes E711,
  E731 or E741, so the two lists differ; prefer the sandbox config.
- ``failing_test``: the one pytest node id that fails (a genuine bug in the code);
  ``tests_total`` / ``tests_passed`` and ``test_ids`` from ``python -m pytest`` in the root.
- ``todo_comments``: ``(file, line, tag)`` of every ``# TODO`` / ``# FIXME`` comment. (A plain
  text search for "TODO" also hits ``VTODO`` strings in taskcli's iCalendar export.)
- ``symbols``: for a few symbols, ``defined_at`` is the ``(file, line, column)`` of the name in
  its definition; ``referenced_in`` the files and ``reference_count`` the number of locations
  that pyright's ``textDocument/references`` returns with ``includeDeclaration`` true (this
  counts imports and ``__all__`` entries, and excludes unrelated same-named locals: textkit's
  ``stem`` function vs the ``stem`` parameters and ``SuffixStemmer.stem`` method).
"""

from __future__ import annotations

from typing import Any

__all__ = ["SANDBOX_FACTS", "SHOP", "TASKCLI", "TEXTKIT"]

SHOP: dict[str, Any] = {
    "description": "e-commerce backend",
    "package": "shop",
    "python_files": [
        "shop/__init__.py",
        "shop/cart.py",
        "shop/catalog.py",
        "shop/customers.py",
        "shop/discounts.py",
        "shop/inventory.py",
        "shop/models.py",
        "shop/orders.py",
        "shop/payments.py",
        "shop/pricing.py",
        "shop/reports.py",
        "shop/shipping.py",
        "shop/tax.py",
        "tests/__init__.py",
        "tests/helpers.py",
        "tests/test_cart.py",
        "tests/test_catalog.py",
        "tests/test_customers.py",
        "tests/test_discounts.py",
        "tests/test_inventory.py",
        "tests/test_orders.py",
        "tests/test_pricing.py",
    ],
    "type_errors": [
        ("shop/customers.py", 50, "reportReturnType"),
        ("shop/reports.py", 50, "reportAttributeAccessIssue"),
        ("shop/shipping.py", 57, "reportArgumentType"),
    ],
    "pyright_warnings": 0,
    "ruff_violations": [
        ("shop/inventory.py", 56, "E711"),
        ("shop/orders.py", 102, "F841"),
        ("shop/payments.py", 59, "E722"),
        ("shop/reports.py", 5, "F401"),
    ],
    "ruff_isolated_violations": [
        ("shop/orders.py", 102, "F841"),
        ("shop/payments.py", 59, "E722"),
        ("shop/reports.py", 5, "F401"),
    ],
    "failing_test": "tests/test_discounts.py::test_bulk_discount_applies_at_threshold",
    "tests_total": 33,
    "tests_passed": 32,
    "test_ids": [
        "tests/test_cart.py::CartTests::test_add_item_merges_lines",
        "tests/test_cart.py::CartTests::test_add_item_rejects_non_positive_quantity",
        "tests/test_cart.py::CartTests::test_clear_drops_coupon",
        "tests/test_cart.py::CartTests::test_quantity_limit",
        "tests/test_cart.py::CartTests::test_total_uses_coupon",
        "tests/test_cart.py::CartTests::test_update_quantity_to_zero_removes_line",
        "tests/test_catalog.py::test_search_matches_name_and_tags",
        "tests/test_catalog.py::test_get_unknown_sku",
        "tests/test_catalog.py::test_in_category",
        "tests/test_customers.py::UserServiceTests::test_emails_are_unique_ignoring_case",
        "tests/test_customers.py::UserServiceTests::test_get_user",
        "tests/test_customers.py::UserServiceTests::test_invalid_email",
        "tests/test_customers.py::UserServiceTests::test_loyalty_points",
        "tests/test_discounts.py::test_coupon_expiry",
        "tests/test_discounts.py::test_coupon_minimum_spend",
        "tests/test_discounts.py::test_no_bulk_discount_below_threshold",
        "tests/test_discounts.py::test_bulk_discount_applies_at_threshold",
        "tests/test_discounts.py::test_parse_coupon_code",
        "tests/test_inventory.py::InventoryTests::test_low_stock",
        "tests/test_inventory.py::InventoryTests::test_release_and_commit",
        "tests/test_inventory.py::InventoryTests::test_reserve_is_all_or_nothing",
        "tests/test_inventory.py::InventoryTests::test_reserve_reduces_availability",
        "tests/test_orders.py::test_place_order_charges_total_with_tax_and_shipping",
        "tests/test_orders.py::test_free_shipping_over_threshold",
        "tests/test_orders.py::test_declined_card_releases_stock",
        "tests/test_orders.py::test_cancel_refunds_and_releases",
        "tests/test_orders.py::test_reports_skip_cancelled_orders",
        "tests/test_pricing.py::test_round_money_rounds_half_up",
        "tests/test_pricing.py::test_subtotal_sums_lines",
        "tests/test_pricing.py::test_total_with_tax_and_shipping",
        "tests/test_pricing.py::test_gift_cards_are_not_taxed",
        "tests/test_pricing.py::test_discount_never_makes_total_negative",
        "tests/test_pricing.py::test_empty_order_costs_only_shipping",
    ],
    "todo_comments": [
        ("shop/orders.py", 115, "FIXME"),
        ("shop/reports.py", 62, "TODO"),
        ("shop/tax.py", 10, "TODO"),
    ],
    "symbols": {
        "calculate_total": {
            "kind": "function",
            "defined_at": ("shop/pricing.py", 27, 5),
            "referenced_in": [
                "shop/__init__.py",
                "shop/cart.py",
                "shop/orders.py",
                "shop/pricing.py",
                "shop/reports.py",
                "tests/test_pricing.py",
            ],
            "reference_count": 16,
        },
        "round_money": {
            "kind": "function",
            "defined_at": ("shop/pricing.py", 13, 5),
            "referenced_in": [
                "shop/__init__.py",
                "shop/discounts.py",
                "shop/pricing.py",
                "tests/test_pricing.py",
            ],
            "reference_count": 11,
        },
        "Cart": {
            "kind": "class",
            "defined_at": ("shop/cart.py", 12, 7),
            "referenced_in": [
                "shop/__init__.py",
                "shop/cart.py",
                "shop/orders.py",
                "tests/test_cart.py",
                "tests/test_orders.py",
            ],
            "reference_count": 13,
        },
        "Cart.add_item": {
            "kind": "method",
            "defined_at": ("shop/cart.py", 29, 9),
            "referenced_in": ["shop/cart.py", "tests/test_cart.py", "tests/test_orders.py"],
            "reference_count": 14,
        },
        "UserService.get_user": {
            "kind": "method",
            "defined_at": ("shop/customers.py", 48, 9),
            "referenced_in": ["shop/customers.py", "tests/test_customers.py"],
            "reference_count": 2,
        },
    },
}

TEXTKIT: dict[str, Any] = {
    "description": "text-processing library",
    "package": "textkit",
    "python_files": [
        "tests/__init__.py",
        "tests/test_normalizer.py",
        "tests/test_similarity.py",
        "tests/test_stats.py",
        "tests/test_stemmer.py",
        "tests/test_tokenizer.py",
        "textkit/__init__.py",
        "textkit/ngrams.py",
        "textkit/normalizer.py",
        "textkit/similarity.py",
        "textkit/stats.py",
        "textkit/stemmer.py",
        "textkit/stopwords.py",
        "textkit/tokenizer.py",
    ],
    "type_errors": [
        ("textkit/ngrams.py", 13, "reportReturnType"),
        ("textkit/stats.py", 59, "reportAttributeAccessIssue"),
    ],
    "pyright_warnings": 0,
    "ruff_violations": [
        ("textkit/ngrams.py", 30, "F841"),
        ("textkit/similarity.py", 43, "E741"),
        ("textkit/stats.py", 7, "F401"),
        ("textkit/stats.py", 50, "E731"),
        ("textkit/stats.py", 68, "F541"),
    ],
    "ruff_isolated_violations": [
        ("tests/test_similarity.py", 1, "I001"),
        ("tests/test_similarity.py", 31, "SIM905"),
        ("textkit/ngrams.py", 30, "F841"),
        ("textkit/stats.py", 7, "F401"),
        ("textkit/stats.py", 68, "F541"),
        ("textkit/stopwords.py", 8, "SIM905"),
    ],
    "failing_test": "tests/test_stats.py::test_type_token_ratio_of_no_words",
    "tests_total": 32,
    "tests_passed": 31,
    "test_ids": [
        "tests/test_normalizer.py::NormalizerTests::test_collapse_whitespace",
        "tests/test_normalizer.py::NormalizerTests::test_normalize_text_keeps_accents_by_default",
        "tests/test_normalizer.py::NormalizerTests::test_normalize_text_quotes_and_case",
        "tests/test_normalizer.py::NormalizerTests::test_remove_punctuation_keeps_apostrophes",
        "tests/test_normalizer.py::NormalizerTests::test_slugify",
        "tests/test_normalizer.py::NormalizerTests::test_strip_accents",
        "tests/test_similarity.py::SimilarityTests::test_cosine_identical_and_disjoint",
        "tests/test_similarity.py::SimilarityTests::test_fuzzy_match",
        "tests/test_similarity.py::SimilarityTests::test_jaccard",
        "tests/test_similarity.py::SimilarityTests::test_text_similarity_ignores_case",
        "tests/test_similarity.py::NgramTests::test_char_ngrams_padded",
        "tests/test_similarity.py::NgramTests::test_invalid_n",
        "tests/test_similarity.py::NgramTests::test_most_common_ngrams",
        "tests/test_similarity.py::test_remove_stopwords_keeps_case",
        "tests/test_stats.py::test_word_frequencies",
        "tests/test_stats.py::test_word_frequencies_without_stopwords",
        "tests/test_stats.py::test_type_token_ratio",
        "tests/test_stats.py::test_type_token_ratio_of_no_words",
        "tests/test_stats.py::test_count_syllables",
        "tests/test_stats.py::test_flesch_simple_text_is_easy",
        "tests/test_stats.py::test_average_word_length",
        "tests/test_stats.py::test_describe",
        "tests/test_stemmer.py::test_inflections_share_a_stem",
        "tests/test_stemmer.py::test_ies_becomes_y",
        "tests/test_stemmer.py::test_short_words_are_untouched",
        "tests/test_stemmer.py::test_doubled_consonant_is_undoubled",
        "tests/test_stemmer.py::test_exceptions",
        "tests/test_tokenizer.py::test_tokenize_lowercases_and_drops_punctuation",
        "tests/test_tokenizer.py::test_contractions_stay_whole",
        "tests/test_tokenizer.py::test_tokens_carry_offsets",
        "tests/test_tokenizer.py::test_split_sentences_keeps_abbreviations",
        "tests/test_tokenizer.py::test_split_sentences_without_final_punctuation",
    ],
    "todo_comments": [
        ("textkit/ngrams.py", 29, "FIXME"),
        ("textkit/stats.py", 69, "TODO"),
        ("textkit/tokenizer.py", 51, "TODO"),
    ],
    "symbols": {
        "tokenize": {
            "kind": "function",
            "defined_at": ("textkit/tokenizer.py", 55, 5),
            "referenced_in": [
                "tests/test_tokenizer.py",
                "textkit/__init__.py",
                "textkit/similarity.py",
                "textkit/stats.py",
                "textkit/tokenizer.py",
            ],
            "reference_count": 14,
        },
        "Token": {
            "kind": "class",
            "defined_at": ("textkit/tokenizer.py", 15, 7),
            "referenced_in": [
                "tests/test_tokenizer.py",
                "textkit/__init__.py",
                "textkit/stats.py",
                "textkit/tokenizer.py",
            ],
            "reference_count": 11,
        },
        "stem": {
            "kind": "function",
            "defined_at": ("textkit/stemmer.py", 75, 5),
            "referenced_in": ["tests/test_stemmer.py", "textkit/__init__.py", "textkit/stemmer.py"],
            "reference_count": 12,
        },
        "split_sentences": {
            "kind": "function",
            "defined_at": ("textkit/tokenizer.py", 60, 5),
            "referenced_in": [
                "tests/test_tokenizer.py",
                "textkit/__init__.py",
                "textkit/stats.py",
                "textkit/tokenizer.py",
            ],
            "reference_count": 9,
        },
    },
}

TASKCLI: dict[str, Any] = {
    "description": "argparse task-tracker CLI",
    "package": "taskcli",
    "python_files": [
        "taskcli/__init__.py",
        "taskcli/__main__.py",
        "taskcli/cli.py",
        "taskcli/commands.py",
        "taskcli/dates.py",
        "taskcli/filters.py",
        "taskcli/formatting.py",
        "taskcli/models.py",
        "taskcli/storage.py",
        "tests/__init__.py",
        "tests/test_cli.py",
        "tests/test_dates.py",
        "tests/test_filters.py",
        "tests/test_storage.py",
    ],
    "type_errors": [
        ("taskcli/dates.py", 24, "reportReturnType"),
        ("taskcli/formatting.py", 24, "reportArgumentType"),
        ("taskcli/storage.py", 94, "reportOptionalMemberAccess"),
    ],
    "pyright_warnings": 0,
    "ruff_violations": [
        ("taskcli/commands.py", 6, "F401"),
        ("taskcli/filters.py", 29, "E711"),
        ("taskcli/storage.py", 50, "E722"),
    ],
    "ruff_isolated_violations": [
        ("taskcli/commands.py", 6, "F401"),
        ("taskcli/storage.py", 50, "E722"),
    ],
    "failing_test": "tests/test_filters.py::test_overdue_excludes_tasks_due_today",
    "tests_total": 20,
    "tests_passed": 19,
    "test_ids": [
        "tests/test_cli.py::test_add_and_list",
        "tests/test_cli.py::test_done_and_open_filter",
        "tests/test_cli.py::test_bad_due_date",
        "tests/test_cli.py::test_remove_unknown",
        "tests/test_dates.py::ParseDueTests::test_garbage",
        "tests/test_dates.py::ParseDueTests::test_iso",
        "tests/test_dates.py::ParseDueTests::test_keywords",
        "tests/test_dates.py::ParseDueTests::test_relative",
        "tests/test_dates.py::ParseDueTests::test_weekday_is_always_in_the_future",
        "tests/test_dates.py::test_humanize_due",
        "tests/test_filters.py::test_overdue_excludes_tasks_due_today",
        "tests/test_filters.py::test_due_within",
        "tests/test_filters.py::test_with_tag_is_case_insensitive",
        "tests/test_filters.py::test_at_least_normal",
        "tests/test_filters.py::test_sort_tasks",
        "tests/test_storage.py::test_round_trip",
        "tests/test_storage.py::test_missing_file_is_empty",
        "tests/test_storage.py::test_corrupt_file",
        "tests/test_storage.py::test_next_id_after_remove",
        "tests/test_storage.py::test_export_ics",
    ],
    "todo_comments": [
        ("taskcli/commands.py", 80, "FIXME"),
        ("taskcli/formatting.py", 42, "TODO"),
        ("taskcli/storage.py", 55, "TODO"),
    ],
    "symbols": {
        "parse_due": {
            "kind": "function",
            "defined_at": ("taskcli/dates.py", 16, 5),
            "referenced_in": ["taskcli/commands.py", "taskcli/dates.py", "tests/test_dates.py"],
            "reference_count": 12,
        },
        "Task": {
            "kind": "class",
            "defined_at": ("taskcli/models.py", 28, 7),
            "referenced_in": [
                "taskcli/__init__.py",
                "taskcli/commands.py",
                "taskcli/filters.py",
                "taskcli/formatting.py",
                "taskcli/models.py",
                "taskcli/storage.py",
                "tests/test_filters.py",
                "tests/test_storage.py",
            ],
            "reference_count": 45,
        },
        "TaskStore.next_id": {
            "kind": "method",
            "defined_at": ("taskcli/storage.py", 64, 9),
            "referenced_in": ["taskcli/commands.py", "taskcli/storage.py", "tests/test_storage.py"],
            "reference_count": 6,
        },
        "overdue": {
            "kind": "function",
            "defined_at": ("taskcli/filters.py", 20, 5),
            "referenced_in": ["taskcli/commands.py", "taskcli/filters.py", "tests/test_filters.py"],
            "reference_count": 5,
        },
    },
}

SANDBOX_FACTS: dict[str, dict[str, Any]] = {"shop": SHOP, "textkit": TEXTKIT, "taskcli": TASKCLI}
