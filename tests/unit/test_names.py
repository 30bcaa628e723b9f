"""Names for new customers and leads, from whatever display names senders use."""

import pytest

from engine.names import domain_of, person_name


@pytest.mark.parametrize(("display", "address", "expected"), [
    ("Doe, Jane", "x@y.example", "Jane Doe"),
    ('"Jane Doe (ACME Support)"', "x@y.example", "Jane Doe"),
    ("JANE DOE", "x@y.example", "Jane Doe"),
    ("Bo", "x@y.example", "Bo"),
    ("", "jane.doe@example.com", "Jane Doe"),
    ("jane@example.com", "jane_doe-2@example.com", "Jane Doe"),
    ("", "12345@example.com", ""),
    ("  ", "", ""),
])
def test_person_name(display: str, address: str, expected: str) -> None:
    assert person_name(display, address) == expected


def test_domain_of() -> None:
    assert domain_of("Jane@Mail.Example.COM") == "mail.example.com"
    assert domain_of("no-at-sign") == ""
