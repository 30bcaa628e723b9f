"""DNS SRV for mail (RFC 6186, RFC 8314): the order of records, "." for a service not
offered, and the best server of each protocol."""

from __future__ import annotations

from engine.setup.resolver import SrvRecord
from engine.setup.srv import SERVICES, answer, best, describe, order

IMAPS, IMAP, POP3S, POP3, SUBMISSIONS, SUBMISSION = SERVICES


def test_the_services_asked() -> None:
    assert [(s.label, s.protocol, s.security) for s in SERVICES] == [
        ("_imaps._tcp", "imap", "ssl"), ("_imap._tcp", "imap", "starttls"),
        ("_pop3s._tcp", "pop3", "ssl"), ("_pop3._tcp", "pop3", "starttls"),
        ("_submissions._tcp", "smtp", "ssl"), ("_submission._tcp", "smtp", "starttls"),
    ]


def test_records_go_by_priority_then_weight() -> None:
    records = [SrvRecord(20, 100, 993, "backup.example.org"),
               SrvRecord(10, 5, 993, "light.example.org"),
               SrvRecord(10, 60, 993, "heavy.example.org"),
               SrvRecord(0, 0, 993, ".")]
    assert [r.target for r in order(records)] == [
        "heavy.example.org", "light.example.org", "backup.example.org"]
    assert order([SrvRecord(0, 0, 0, "zero.example.org")]) == ()


def test_a_dot_target_means_not_offered() -> None:
    dot = answer(IMAP, [SrvRecord(0, 0, 0, ".")])
    assert dot.not_offered and dot.records == ()
    assert describe("_imap._tcp.example.org", dot) == (
        'SRV _imap._tcp.example.org: not offered (target ".")')
    nothing = answer(IMAP, [])
    assert not nothing.not_offered
    assert describe("_imap._tcp.example.org", nothing) == "SRV _imap._tcp.example.org: none"
    assert best([dot, nothing], "imap") is None


def test_the_best_server_across_tls_and_starttls() -> None:
    tls = answer(IMAPS, [SrvRecord(10, 0, 993, "imaps.example.org")])
    plain = answer(IMAP, [SrvRecord(5, 0, 143, "imap.example.org")])
    assert best([tls, plain], "imap") == (IMAP, plain.records[0])  # lower priority wins
    tied = answer(IMAP, [SrvRecord(10, 90, 143, "imap.example.org")])
    assert best([tied, tls], "imap") == (IMAPS, tls.records[0])  # a tie: implicit TLS
    assert best([tls, plain], "smtp") is None
    submission = answer(SUBMISSION, [SrvRecord(0, 1, 587, "smtp.example.org")])
    assert best([tls, submission], "smtp") == (SUBMISSION, submission.records[0])


def test_many_records_are_described_shortly() -> None:
    many = answer(POP3S, [SrvRecord(i, 0, 995, f"pop{i}.example.org") for i in range(5)])
    assert describe("_pop3s._tcp.example.org", many) == (
        "SRV _pop3s._tcp.example.org: pop0.example.org:995, pop1.example.org:995, "
        "pop2.example.org:995 (+2 more)")
