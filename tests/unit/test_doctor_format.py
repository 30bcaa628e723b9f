"""How `frontdesk doctor` prints its report: the table, the summary line, the JSON
shape, the config check, and details kept to one clean line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.doctor.report import DoctorReport, check, report
from themes import DEFAULT_THEME
from tui.commands.doctor import as_json, config_check, render, summary, table

SAMPLE = report([
    check("files.key", "fail", "key file /x/key is mode 0644; run chmod 600 /x/key"),
    check("account.login", "ok", "logged in", "support"),
    check("account.smtp", "warn", "no SMTP server set", "support"),
    check("clock.skew", "skipped", "not compared (--offline)"),
])


def test_the_table_lines_up_and_names_statuses_for_people() -> None:
    lines = render(SAMPLE).splitlines()
    assert lines[:5] == [
        "STATUS   CHECK          ACCOUNT  DETAIL",
        "problem  files.key      -        key file /x/key is mode 0644; run chmod 600 /x/key",
        "ok       account.login  support  logged in",
        "warning  account.smtp   support  no SMTP server set",
        "skipped  clock.skew     -        not compared (--offline)",
    ]
    assert lines[5] == ""
    assert lines[6] == "1 problem, 1 warning, 1 ok, 1 skipped: fix the problems above"


def test_the_summary_counts_every_status_and_says_when_all_is_well() -> None:
    healthy = report([check("a", "ok", "x"), check("b", "ok", "y"), check("c", "warn", "z")])
    assert summary(healthy) == "0 problems, 1 warning, 2 ok, 0 skipped: no problem found"
    assert not healthy.failed and SAMPLE.failed


def test_a_table_leaves_its_last_column_unpadded() -> None:
    assert table(("A", "BB", "C"), [("long", "x", "tail"), ("s", "yyy", "")]) == [
        "A     BB   C", "long  x    tail", "s     yyy  "]


def test_json_has_the_verdict_the_counts_and_every_check() -> None:
    shaped = as_json(SAMPLE)
    assert shaped == json.loads(json.dumps(shaped))  # plain JSON values only
    assert shaped["ok"] is False
    assert shaped["counts"] == {"ok": 1, "warn": 1, "fail": 1, "skipped": 1}
    assert shaped["checks"][1] == {"id": "account.login", "status": "ok",
                                   "detail": "logged in", "account": "support"}
    assert [c["id"] for c in shaped["checks"]] == [c.id for c in SAMPLE.checks]
    assert as_json(DoctorReport(checks=()))["ok"] is True


def test_details_are_one_sanitised_line() -> None:
    found = check("account.sync", "warn", "server said:\r\n\x1b[31mNO\x1b[0m   [ALERT]\tgo")
    assert found.detail == "server said: NO [ALERT] go"
    assert len(check("x", "fail", "y" * 5000).detail) == 1000
    with pytest.raises(ValueError):
        check("x", "bad", "y")


def test_a_config_that_loads_is_ok(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    found = config_check(str(path))
    assert (found.id, found.status) == ("config.file", "ok")
    assert found.detail == f"no config file at {path}; the console uses its defaults"
    path.write_text(f'theme = "{DEFAULT_THEME}"\n[keymap]\n"list.down" = "j,down"\n',
                    encoding="utf-8")
    found = config_check(str(path))
    assert found.status == "ok"
    assert found.detail == f"{path} loads (theme {DEFAULT_THEME}, 1 key remap)"


@pytest.mark.parametrize(("text", "needle"), [
    ("theme = \n", "not valid TOML"),
    ('colour = "red"\n', 'unknown key "colour"'),
    ("[options]\nhtml = 3\n", "html must be true or false"),
])
def test_a_config_that_does_not_load_is_a_problem(tmp_path: Path, text: str,
                                                  needle: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    found = config_check(str(path))
    assert found.status == "fail"
    assert found.detail.startswith(f"{path}: ") and needle in found.detail
