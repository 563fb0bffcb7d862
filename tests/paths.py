"""Where the tests find the repository and their data, wherever a test module sits in the tree."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
BAD = TESTS / "data" / "bad"
