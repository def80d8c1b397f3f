"""Entry point: run with {"language": "python", "file": "main.py"}."""
import sys

sys.path.insert(0, "src")

from greeting import greet  # noqa: E402

if __name__ == "__main__":
    print(greet(sys.argv[1] if len(sys.argv) > 1 else "world"))
