"""`frontdesk account discover ADDRESS`: find an address's mail servers (provider
presets, MX, Mozilla autoconfig, DNS SRV, then guessed host names) and say how to add
the account."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import TYPE_CHECKING

from tui.commands.output import print_json, table_lines, to_plain

if TYPE_CHECKING:
    from engine.models import Agent, Discovery, DiscoveryNetwork
    from engine.service import Service

ACCOUNT_ACTIONS = ("discover",)

SOURCE_TEXT = {
    "preset": "a provider preset",
    "mx": "the domain's MX hosts",
    "autoconfig": "an autoconfig file",
    "srv": "DNS SRV records",
    "guess": "guessed host names (a port answered: test the account before use)",
}
METHOD_TEXT = {"password": "the mailbox password", "app_password": "an app password",
               "oauth2": "OAuth2"}


def register_account_actions(sub: argparse._SubParsersAction,
                             common: argparse.ArgumentParser) -> None:
    discover = sub.add_parser(
        "discover", parents=[common], help="find the mail servers of an address",
        description="Find the IMAP, POP3 and SMTP servers of an address: the big "
        "providers' presets, the domain's MX hosts (Google Workspace, Microsoft 365), "
        "Mozilla autoconfig files, DNS SRV records, and last the usual host names. Prints "
        "what it found, how to sign in, and everything it tried. Exits 1 when no "
        "incoming server was found.")
    discover.add_argument("address", help="the mailbox's address, e.g. alice@example.org")
    discover.add_argument("--dns-server", metavar="HOST[:PORT]",
                          help="ask this DNS server (an IP address) instead of the system's")
    discover.add_argument("--autoconfig-url", metavar="URL",
                          help="read this config-v1.1.xml first, instead of looking for one")
    discover.add_argument("--timeout", type=float, default=3.0, metavar="S",
                          help="seconds for each lookup, fetch or connect (default: 3)")
    discover.add_argument("--ca-file", metavar="PEM",
                          help="trust this CA bundle (only) for autoconfig over HTTPS")
    discover.add_argument("--no-ispdb", action="store_true",
                          help="do not ask Thunderbird's ISPDB (autoconfig.thunderbird.net), "
                          "which learns the domain")
    discover.add_argument("--json", action="store_true", help="print the result as JSON")


def network_of(args: argparse.Namespace) -> DiscoveryNetwork:
    """The DiscoveryNetwork the options ask for."""
    from engine.models import DiscoveryNetwork
    from engine.setup.address import parse_nameserver

    return DiscoveryNetwork(
        nameserver=parse_nameserver(args.dns_server) if args.dns_server else None,
        timeout=args.timeout, autoconfig_url=args.autoconfig_url, ca_file=args.ca_file,
        ispdb=not args.no_ispdb)


async def run_account(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    found = await service.discover_account(agent, args.address, network=network_of(args))
    if args.json:
        print_json({**to_plain(found), "found": found.found})
    else:
        print("\n".join(describe(found)))
    if found.found:
        return 0
    print(f"frontdesk: no server found for {found.domain}; give --imap-host HOST to "
          "`frontdesk account add`, or point to a config with --autoconfig-url URL",
          file=sys.stderr)
    return 1


def describe(found: Discovery) -> list[str]:
    """The lines printed for a discovery: provider and source, servers, how to sign in,
    the commands that add the account, and what was tried."""
    lines: list[str] = []
    if found.found:
        provider = f"{found.provider}, " if found.provider else ""
        lines.append(f"{found.address}: {provider}found by {SOURCE_TEXT[found.source or '']}")
        lines.extend(f"  {line}" for line in _servers(found))
        lines.extend(_sign_in(found))
        lines.extend(_next_steps(found))
    else:
        lines.append(f"{found.address}: no server found")
    lines.append("tried:")
    lines.extend(f"  {line}" for line in found.tried)
    return lines


def _servers(found: Discovery) -> list[str]:
    """One aligned line per server found."""
    guesses = [g for g in (found.imap, found.pop3, found.smtp) if g is not None]
    rows = [(g.protocol.upper(), f"{g.host}:{g.port}", g.security, f"login {g.username}")
            for g in guesses]
    return table_lines((), rows)


def _sign_in(found: Discovery) -> list[str]:
    hints = found.auth
    if not hints.methods:
        return []
    methods = []
    for method in hints.methods:
        text = METHOD_TEXT.get(method, method)
        if method == "oauth2" and hints.oauth:
            text += f" (--oauth {hints.oauth})"
        methods.append(text)
    lines = ["sign-in: " + " or ".join(methods)]
    if hints.app_password_hint:
        lines.append(f"  {hints.app_password_hint}")
    return lines


def _next_steps(found: Discovery) -> list[str]:
    imap, smtp, hints = found.imap, found.smtp, found.auth
    if imap is None:
        return []
    add = f"frontdesk account add NAME --email {shlex.quote(found.address)}"
    if hints.oauth and hints.methods[:1] == ("oauth2",):
        return ["add it with:", f"  {add} --oauth {hints.oauth}"]
    add += f" --imap-host {imap.host} --imap-port {imap.port} --security {imap.security}"
    if imap.username != found.address:
        add += f" --username {shlex.quote(imap.username)}"
    lines = ["add it with:", f"  {add} --password-stdin"]
    if smtp is not None:
        send = (f"frontdesk account smtp NAME --host {smtp.host} --port {smtp.port} "
                f"--security {smtp.security}")
        if smtp.username != found.address:
            send += f" --username {shlex.quote(smtp.username)}"
        lines.append(f"  {send} --password-stdin")
    return lines
