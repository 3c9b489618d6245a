import unittest
from datetime import date

from taskcli.dates import BadDate, humanize_due, parse_due

WEDNESDAY = date(2024, 5, 15)


class ParseDueTests(unittest.TestCase):
    def test_keywords(self) -> None:
        self.assertEqual(parse_due("today", WEDNESDAY), WEDNESDAY)
        self.assertEqual(parse_due("Tomorrow", WEDNESDAY), date(2024, 5, 16))

    def test_weekday_is_always_in_the_future(self) -> None:
        self.assertEqual(parse_due("friday", WEDNESDAY), date(2024, 5, 17))
        self.assertEqual(parse_due("wednesday", WEDNESDAY), date(2024, 5, 22))

    def test_relative(self) -> None:
        self.assertEqual(parse_due("+3d", WEDNESDAY), date(2024, 5, 18))
        self.assertEqual(parse_due("+2w", WEDNESDAY), date(2024, 5, 29))

    def test_iso(self) -> None:
        self.assertEqual(parse_due("2025-01-31", WEDNESDAY), date(2025, 1, 31))

    def test_garbage(self) -> None:
        with self.assertRaises(BadDate):
            parse_due("next blursday", WEDNESDAY)


def test_humanize_due():
    assert humanize_due(date(2024, 5, 15), WEDNESDAY) == "today"
    assert humanize_due(date(2024, 5, 18), WEDNESDAY) == "in 3 days"
    assert humanize_due(date(2024, 5, 13), WEDNESDAY) == "2 days ago"
    assert humanize_due(date(2024, 9, 1), WEDNESDAY) == "2024-09-01"
