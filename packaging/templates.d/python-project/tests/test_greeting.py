"""Run with {"language": "python", "file": "tests/test_greeting.py"}."""
import sys
import unittest

sys.path.insert(0, "src")

from greeting import greet  # noqa: E402


class GreetingTest(unittest.TestCase):
    def test_greets_by_name(self):
        self.assertEqual(greet("Nox"), "Hello, Nox!")


if __name__ == "__main__":
    unittest.main()
