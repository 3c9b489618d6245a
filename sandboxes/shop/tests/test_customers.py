import unittest

from shop.customers import DuplicateEmail, UserService


class UserServiceTests(unittest.TestCase):
    def setUp(self) -> None:
        self.users = UserService()
        self.ada = self.users.register_user(" Ada Lovelace ", "ada@example.com")

    def test_get_user(self) -> None:
        self.assertEqual(self.users.get_user(self.ada.user_id).name, "Ada Lovelace")

    def test_emails_are_unique_ignoring_case(self) -> None:
        with self.assertRaises(DuplicateEmail):
            self.users.register_user("Ada", "ADA@example.com")

    def test_invalid_email(self) -> None:
        with self.assertRaises(ValueError):
            self.users.register_user("Bob", "bob-at-example")

    def test_loyalty_points(self) -> None:
        self.users.add_points(self.ada.user_id, 40)
        self.assertEqual(self.users.add_points(self.ada.user_id, 2), 42)
