"""CI must run the README's test command exactly as the README writes it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)


def test_readme_opens_with_two_one_line_commands() -> None:
    commands = _readme_commands()
    assert len(commands) >= 2
    first, second = commands[0], commands[1]
    assert "\n" not in first and "frontdesk demo" in first
    assert "\n" not in second and "pytest" in second and "ruff check" in second


def test_ci_runs_the_readme_test_command() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert _readme_commands()[1] in ci_lines
