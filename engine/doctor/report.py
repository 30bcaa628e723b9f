"""What `frontdesk doctor` reports: one check per line, with a stable id, a status and
one line saying what was found and, when something is wrong, what to do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.sanitize import sanitize_line

OK = "ok"
WARN = "warn"
FAIL = "fail"
SKIPPED = "skipped"
STATUSES = (OK, WARN, FAIL, SKIPPED)

# A detail quoting a server is cut here: the line must carry the fix, not a page of
# server text (details are built so the fix comes whole well within it).
MAX_DETAIL = 1000


@dataclass(frozen=True)
class DoctorCheck:
    """One check. `id` is stable (e.g. "files.key", "account.login"); `account` names the
    account an account check is about ("" for the others); `detail` is one line."""

    id: str
    status: str  # ok | warn | fail | skipped
    detail: str
    account: str = ""


@dataclass(frozen=True)
class DoctorReport:
    """Every check of one run, in the order they are shown."""

    checks: tuple[DoctorCheck, ...]

    @property
    def failed(self) -> bool:
        """Whether any check failed (warnings do not fail a run)."""
        return any(c.status == FAIL for c in self.checks)

    def counts(self) -> dict[str, int]:
        """How many checks ended in each status, every status present."""
        return {status: sum(c.status == status for c in self.checks) for status in STATUSES}


def check(id: str, status: str, detail: str, account: str = "") -> DoctorCheck:
    """A check whose detail is made one clean line (it may quote a server or a file)."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    line = sanitize_line(detail)
    if len(line) > MAX_DETAIL:
        line = line[: MAX_DETAIL - 1] + "…"
    return DoctorCheck(id=id, status=status, detail=line, account=account)


def report(*groups: Iterable[DoctorCheck]) -> DoctorReport:
    """A report of the checks of `groups`, in order."""
    return DoctorReport(checks=tuple(c for group in groups for c in group))
