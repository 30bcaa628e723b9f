"""The $EDITOR round trip: the header block format, its parse, the command and the file."""

from __future__ import annotations

import stat
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tui.editor import (
    DraftText,
    EditorError,
    edit_draft,
    editor_command,
    format_draft,
    parse_draft,
    run_command,
)

DRAFT = DraftText(to='"Doe, Jane" <jane@x.example>, bob@y.example', cc="", bcc="me@z.example",
                  subject="Re: the [bold]invoice[/]", body="Hi Jane,\n\nDone.\n\n> quoted\n")


def test_format_writes_the_header_block_then_the_body() -> None:
    text = format_draft(DRAFT)
    assert text == (
        'To: "Doe, Jane" <jane@x.example>, bob@y.example\nCc: \nBcc: me@z.example\n'
        "Subject: Re: the [bold]invoice[/]\n\nHi Jane,\n\nDone.\n\n> quoted\n\n"
    )


@pytest.mark.parametrize("body", ["", "one line", "ends\n", "\nstarts blank", "a\n\n\nb",
                                  "To: not a header\n"])
def test_an_unchanged_file_reads_back_the_same(body: str) -> None:
    draft = DraftText(to="a@b.example", subject="S", body=body)
    assert parse_draft(format_draft(draft), DraftText()) == draft


def test_edited_headers_and_body_are_read_back() -> None:
    edited = ("to: carol@c.example\nSubject: New subject\nX-Mailer: mine\n"
              "Cc: dan@d.example,\n  erin@e.example\n\nNew body\n")
    assert parse_draft(edited, DRAFT) == DraftText(
        to="carol@c.example", cc="dan@d.example, erin@e.example", bcc="",
        subject="New subject", body="New body")


def test_a_file_without_the_blank_line_is_all_body() -> None:
    assert parse_draft("To: x@y.example\nSubject: s\nno blank line\n", DRAFT) == DraftText(
        to=DRAFT.to, cc=DRAFT.cc, bcc=DRAFT.bcc, subject=DRAFT.subject,
        body="To: x@y.example\nSubject: s\nno blank line")


def test_text_that_only_looks_like_headers_stays_body() -> None:
    for text in ("Hi Bob,\n\nThanks\n", "Note: call me\n\nThanks\n"):
        parsed = parse_draft(text, DRAFT)
        assert parsed.body == text[:-1] and parsed.to == DRAFT.to


def test_headers_without_a_body_and_without_the_final_newline() -> None:
    parsed = parse_draft("To: a@b.example\nCc: \nBcc: \nSubject: s\n\n", DRAFT)
    assert parsed == DraftText(to="a@b.example", subject="s", body="")


def test_crlf_line_ends_are_read_too() -> None:
    parsed = parse_draft("To: a@b.example\r\nSubject: s\r\n\r\nbody\r\n", DraftText())
    assert parsed == DraftText(to="a@b.example", subject="s", body="body")


def test_a_subject_with_a_newline_is_written_on_one_line() -> None:
    text = format_draft(DraftText(subject="two\nlines"))
    assert "Subject: two lines\n" in text


def test_editor_command_prefers_visual_then_editor_and_splits_like_a_shell() -> None:
    assert editor_command({"VISUAL": "code -w", "EDITOR": "nano"}) == ["code", "-w"]
    assert editor_command({"EDITOR": "'/opt/my editor/ed' --wait"}) == [
        "/opt/my editor/ed", "--wait"]
    assert editor_command({"VISUAL": " ", "EDITOR": ""}) == ["vi"]
    assert editor_command({}) == ["vi"]
    with pytest.raises(EditorError, match="editor command"):
        editor_command({"EDITOR": "vim 'unclosed"})


SCRIPT = """\
import os, stat, sys
path = sys.argv[-1]
with open(sys.argv[1], "w") as report:
    report.write(oct(stat.S_IMODE(os.stat(path).st_mode)) + " "
                 + oct(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)) + " " + path)
text = open(path, encoding="utf-8").read()
text = text.replace("Subject: Re: ", "Subject: Edited: ").replace("Done.", "Done today.")
open(path, "w", encoding="utf-8").write(text)
sys.exit(int(sys.argv[2]))
"""


def _script(tmp_path: Path, status: int) -> tuple[dict[str, str], Path]:
    script = tmp_path / "editor.py"
    script.write_text(SCRIPT)
    report = tmp_path / "report.txt"
    return {"EDITOR": f"{sys.executable} {script} {report} {status}"}, report


def test_edit_draft_runs_the_editor_on_a_private_file_and_removes_it(
        tmp_path: Path) -> None:
    environ, report = _script(tmp_path, 0)
    edited = edit_draft(DRAFT, run_command, environ=environ)
    assert edited == DraftText(to=DRAFT.to, cc="", bcc=DRAFT.bcc,
                               subject="Edited: the [bold]invoice[/]",
                               body="Hi Jane,\n\nDone today.\n\n> quoted\n")
    file_mode, dir_mode, path = report.read_text().split(" ", 2)
    assert (int(file_mode, 8), int(dir_mode, 8)) == (0o600, 0o700)
    assert not Path(path).exists() and not Path(path).parent.exists()


def test_an_editor_exiting_non_zero_changes_nothing(tmp_path: Path) -> None:
    environ, report = _script(tmp_path, 1)
    with pytest.raises(EditorError, match="status 1; the draft is unchanged"):
        edit_draft(DRAFT, run_command, environ=environ)
    path = Path(report.read_text().split(" ", 2)[2])
    assert not path.parent.exists()


def test_a_missing_editor_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(EditorError, match=r"not found; set \$EDITOR"):
        edit_draft(DRAFT, run_command, environ={"EDITOR": str(tmp_path / "no-such-editor")})


def test_the_command_gets_the_file_as_its_last_argument() -> None:
    seen: list[Sequence[str]] = []

    def run(argv: Sequence[str]) -> int:
        seen.append(list(argv))
        assert stat.S_IMODE(Path(argv[-1]).stat().st_mode) == 0o600
        return 0

    assert edit_draft(DRAFT, run, environ={"VISUAL": "code -w"}) == DRAFT
    (argv,) = seen
    assert argv[:2] == ["code", "-w"] and argv[2].endswith("draft.txt")
