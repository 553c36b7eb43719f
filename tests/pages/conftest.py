"""The pages share the letter tests' small target directory and letter campaigns."""

from tests.letters.conftest import letter_campaign, officials  # noqa: F401
