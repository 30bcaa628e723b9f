"""Mail addresses and host names as discovery checks them: an address and a DNS server
the person typed, and host names read from DNS answers and autoconfig files
(untrusted)."""

from __future__ import annotations

import ipaddress
import re

from engine.errors import InvalidInputError

MAX_ADDRESS = 254
DNS_PORT = 53
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_LOCAL_BAD = re.compile(r"[\s<>()\[\],;:\"\\@\x00-\x1f\x7f]")


def is_host_name(name: str) -> bool:
    """Whether `name` is a plausible DNS host name (ASCII labels of letters, digits, '-'
    and '_', at most 253 characters); a trailing dot is allowed."""
    name = name[:-1] if name.endswith(".") else name
    if not name or len(name) > 253:
        return False
    return all(_LABEL.match(label) for label in name.split("."))


def is_ip_address(text: str) -> bool:
    """Whether `text` is an IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def ascii_domain(domain: str) -> str:
    """`domain` lower-cased, without a trailing dot, international names in their ASCII
    (IDNA) form; InvalidInputError when it is not a domain."""
    name = domain.strip().rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidInputError(f"{domain!r} is not a domain name") from None
    if "." not in name or not is_host_name(name) or is_ip_address(name):
        raise InvalidInputError(f"{domain!r} is not a domain name")
    return name


def split_address(address: str) -> tuple[str, str]:
    """(local part, ASCII domain) of an address such as alice@example.org; raises
    InvalidInputError with one line when it is not one."""
    text = address.strip()
    local, at, domain = text.rpartition("@")
    if (not at or not local or len(text) > MAX_ADDRESS or _LOCAL_BAD.search(local)
            or not text.isprintable()):
        raise InvalidInputError(
            f"{address!r} is not an email address; write it as name@example.org")
    try:
        return local, ascii_domain(domain)
    except InvalidInputError:
        raise InvalidInputError(
            f"{address!r} is not an email address: {domain!r} is not a domain name"
        ) from None


def parse_nameserver(text: str) -> tuple[str, int]:
    """(IP, port) from "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address; raises
    InvalidInputError (one line) for anything else, a host name included."""
    value = text.strip()
    host, port_text = value, ""
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            host = ""
        port_text = rest[1:]
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
    if not is_ip_address(host):
        raise InvalidInputError(
            f"DNS server {text!r}: give an IP address, with :PORT if not {DNS_PORT}")
    if not port_text:
        return host, DNS_PORT
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
        raise InvalidInputError(f"DNS server {text!r}: the port must be 1 to 65535")
    return host, int(port_text)
