"""What a POP3 pass fetches, records and deletes: pure logic over UIDLs."""

from datetime import UTC, date, datetime, timedelta, timezone

from engine.pop3.client import Listed
from engine.pop3.plan import (
    DENIED,
    PENDING,
    SKIPPED,
    STORED,
    Wanted,
    batches,
    deletable,
    older_than,
    plan_pass,
)
from storage.records import Pop3Uidl


def listed(*uidls: str, size: int = 100) -> list[Listed]:
    return [Listed(n, u, size) for n, u in enumerate(uidls, start=1)]


def known(**states: str) -> dict[str, Pop3Uidl]:
    return {u: Pop3Uidl(u, s, 1 if s == STORED else None, False) for u, s in states.items()}


def uidls(wanted: tuple[Wanted, ...]) -> list[tuple[str, bool]]:
    return [(w.item.uidl, w.first_import) for w in wanted]


def test_the_first_pass_records_everything_as_pending_and_fetches_it_as_old_mail() -> None:
    plan = plan_pass(listed("a", "b", "c"), {}, first=True, mode="all")
    assert plan.first_seen == (("a", PENDING), ("b", PENDING), ("c", PENDING))
    assert uidls(plan.wanted) == [("a", True), ("b", True), ("c", True)]
    assert plan.gone == ()


def test_new_only_records_what_is_there_as_skipped_and_fetches_nothing() -> None:
    plan = plan_pass(listed("a", "b"), {}, first=True, mode="new-only")
    assert plan.first_seen == (("a", SKIPPED), ("b", SKIPPED))
    assert plan.wanted == ()
    later = plan_pass(listed("a", "b", "c"), known(a=SKIPPED, b=SKIPPED), first=False,
                      mode="new-only")
    assert uidls(later.wanted) == [("c", False)]


def test_known_uidls_are_never_fetched_again_whatever_became_of_them() -> None:
    plan = plan_pass(listed("a", "b", "c", "d", "e"),
                     known(a=STORED, b=SKIPPED, c=DENIED, d=PENDING), first=False, mode="all")
    assert uidls(plan.wanted) == [("d", True), ("e", False)]
    assert plan.first_seen == ()


def test_a_first_pass_after_a_crash_keeps_what_was_recorded() -> None:
    plan = plan_pass(listed("a", "b"), known(a=STORED), first=True, mode="all")
    assert plan.first_seen == (("b", PENDING),)
    assert uidls(plan.wanted) == [("b", True)]


def test_uidls_gone_from_the_server_are_noted_once() -> None:
    rows = known(a=STORED, b=SKIPPED)
    rows["c"] = Pop3Uidl("c", STORED, 3, True)  # noted before
    plan = plan_pass(listed("b"), rows, first=False, mode="all")
    assert plan.gone == ("a",)


def test_only_stored_mail_is_deleted_after_import() -> None:
    rows = known(a=STORED, b=SKIPPED, c=DENIED, d=PENDING)
    rows["e"] = Pop3Uidl("e", STORED, None, False)  # its message was deleted here since
    assert [i.uidl for i in deletable(listed("a", "b", "c", "d", "e", "f"), rows)] == ["a", "e"]


def test_since_compares_the_date_in_utc_and_keeps_undated_mail() -> None:
    since = date(2026, 3, 10)
    assert older_than(datetime(2026, 3, 9, 23, 0, tzinfo=UTC), since)
    assert not older_than(datetime(2026, 3, 10, 0, 0, tzinfo=UTC), since)
    # 01:00 on the 10th at UTC+2 is still the 9th in UTC.
    assert older_than(datetime(2026, 3, 10, 1, 0, tzinfo=timezone(timedelta(hours=2))), since)
    assert not older_than(datetime(2026, 3, 10, 12, 0), since)  # naive: taken as UTC
    assert not older_than(None, since)


def test_batches_keep_order_and_bound_count_and_size() -> None:
    wanted = [Wanted(Listed(n, str(n), size), False)
              for n, size in enumerate([10, 10, 10, 500, 10, 10], start=1)]
    cut = batches(wanted, count=2, octets=100)
    assert [[w.item.number for w in b] for b in cut] == [[1, 2], [3], [4], [5, 6]]
    assert batches([], count=2, octets=100) == []
