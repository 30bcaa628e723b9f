"""A person's name from a sender's display name and address, for new customers and leads.

Display names arrive in every shape: "Doe, Jane", "\"Jane Doe (ACME)\"", "JANE DOE",
"jane.doe@example.com", or nothing at all.
"""

from __future__ import annotations

import re

_BRACKETED = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]\s*")
_SPACES = re.compile(r"\s+")
_LOCAL_SPLIT = re.compile(r"[._\-+]+")


def person_name(display_name: str, address: str) -> str:
    """The name to prefill: the display name tidied ("Doe, Jane" -> "Jane Doe", quotes and
    bracketed notes dropped, ALL CAPS title-cased); without a usable one, the address's
    local part ("jane.doe" -> "Jane Doe"); "" when neither gives anything."""
    name = _BRACKETED.sub(" ", display_name.strip().strip("\"'"))
    name = _SPACES.sub(" ", name).strip(" \"'")
    if "@" in name:  # the display name is an address
        name = ""
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        name = f"{first} {last}".strip() if first and last else (first or last)
    if name and name.isupper() and len(name) > 3:
        name = name.title()
    if name:
        return name
    local = address.partition("@")[0]
    words = [w for w in _LOCAL_SPLIT.split(local) if w and not w.isdigit()]
    return " ".join(w.capitalize() for w in words)


def domain_of(address: str) -> str:
    """The lower-cased domain of an address; "" when it has none."""
    _, at, domain = address.strip().rpartition("@")
    return domain.lower().strip(".") if at else ""
