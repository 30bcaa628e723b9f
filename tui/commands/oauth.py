"""`frontdesk oauth set|list|remove` (admins register their OAuth2 clients), and the
terminal sign-in behind `account add --oauth` and `account reconnect`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from typing import TYPE_CHECKING

from engine.errors import InvalidInputError
from tui.commands.output import print_json, print_table
from tui.commands.secrets_input import read_password

if TYPE_CHECKING:
    from engine.models import AccountSettings, Agent, SignInPrompt
    from engine.service import Service


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    oauth = commands.add_parser("oauth", help="OAuth2 clients for Microsoft 365 and Gmail",
                                description="The OAuth2 client each provider's accounts "
                                "sign in through (admins register them once).")
    sub = oauth.add_subparsers(dest="oauth_command", metavar="ACTION", required=True)
    put = sub.add_parser(
        "set", parents=[common], help="register a provider's OAuth2 client (admins)",
        description="Register the OAuth2 client of a provider. microsoft: the application "
        "(client) id and tenant of an Entra app registration with the delegated permissions "
        "IMAP.AccessAsUser.All and SMTP.Send, public client flows allowed. google: the "
        "client id and secret of a 'Desktop app' OAuth client with the Gmail API scope.")
    put.add_argument("provider", choices=("microsoft", "google"))
    put.add_argument("--client-id", required=True, metavar="ID")
    put.add_argument("--tenant", metavar="TENANT",
                     help="microsoft: the directory (tenant) id, or 'organizations'")
    put.add_argument("--authority", metavar="URL",
                     help="microsoft: an authority URL instead of login.microsoftonline.com")
    put.add_argument("--auth-uri", metavar="URL", help="google: the authorization endpoint")
    put.add_argument("--token-uri", metavar="URL", help="google: the token endpoint")
    put.add_argument("--ca-file", metavar="PEM", help="trust this CA bundle for the endpoints")
    secret = put.add_mutually_exclusive_group()
    secret.add_argument("--client-secret-stdin", action="store_true",
                        help="read the client secret from standard input (stored encrypted)")
    secret.add_argument("--no-client-secret", action="store_true",
                        help="remove a stored client secret (microsoft public clients)")
    listing = sub.add_parser("list", parents=[common], help="show the registered clients")
    listing.add_argument("--json", action="store_true")
    remove = sub.add_parser("remove", parents=[common],
                            help="remove a provider's client (admins)")
    remove.add_argument("provider", choices=("microsoft", "google"))


async def run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    if args.oauth_command == "set":
        from engine.models import OAuthProviderChange

        secret = None
        if args.client_secret_stdin:
            secret = read_password("Client secret: ")
        elif args.no_client_secret:
            secret = ""
        row = await service.set_oauth_provider(agent, OAuthProviderChange(
            provider=args.provider, client_id=args.client_id, tenant=args.tenant,
            authority=args.authority, auth_uri=args.auth_uri, token_uri=args.token_uri,
            ca_file=args.ca_file, client_secret=secret))
        print(f"{row.provider}: client {row.client_id} registered"
              + (" with its secret" if row.has_secret else "")
              + f"; add accounts with `frontdesk account add NAME --oauth {row.provider} "
              "--email ADDRESS`")
        return 0
    if args.oauth_command == "list":
        rows = await service.oauth_providers(agent)
        if args.json:
            print_json(rows)
            return 0
        print_table(("PROVIDER", "CLIENT ID", "TENANT", "ENDPOINT", "SECRET", "CHANGED"),
                    [(r.provider, r.client_id, r.tenant, r.authority or r.token_uri,
                      "set" if r.has_secret else "-", r.updated_at) for r in rows])
        return 0
    if args.oauth_command == "remove":
        await service.remove_oauth_provider(agent, args.provider)
        print(f"{args.provider}: client removed")
        return 0
    raise InvalidInputError(f"unknown oauth action {args.oauth_command!r}")


async def sign_in(service: Service, agent: Agent, name: str) -> AccountSettings:
    """Sign an account in from this terminal: show what to do, wait for the outcome.
    Ctrl-C gives up (the account keeps its earlier token, if any)."""
    prompt = await service.begin_sign_in(agent, name)
    _show(prompt)
    try:
        if prompt.kind == "device":
            return await service.finish_sign_in(agent, prompt.id)
        return await _browser(service, agent, prompt)
    except (asyncio.CancelledError, KeyboardInterrupt):
        await service.cancel_sign_in(agent, prompt.id)
        raise


def _show(prompt: SignInPrompt) -> None:
    print(prompt.message)
    print(f"  address: {prompt.url}")
    if prompt.code:
        print(f"  code:    {prompt.code}")
    if prompt.kind == "browser":
        print("Paste the address here and press Enter:", end=" ")
    else:
        print("Waiting for the sign-in…")
    sys.stdout.flush()


async def _browser(service: Service, agent: Agent, prompt: SignInPrompt) -> AccountSettings:
    """Wait for the browser to reach the loopback address, or for a pasted address."""
    waiter = asyncio.ensure_future(service.finish_sign_in(agent, prompt.id))
    reader = asyncio.ensure_future(_read_line())
    try:
        done, _ = await asyncio.wait({waiter, reader}, return_when=asyncio.FIRST_COMPLETED)
        if reader in done and not waiter.done():
            line = reader.result()
            if line.strip():
                await service.paste_sign_in(agent, prompt.id, line)
        return await waiter
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def _read_line() -> str:
    """One line of standard input, read without a thread (so it can be abandoned); ""
    at end of input, or when stdin cannot be watched (then only the loopback works)."""
    loop = asyncio.get_running_loop()
    fd = sys.stdin.fileno()
    line = bytearray()
    done: asyncio.Future[str] = loop.create_future()

    def readable() -> None:
        chunk = os.read(fd, 4096)
        line.extend(chunk)
        if (not chunk or b"\n" in chunk) and not done.done():
            done.set_result(line.split(b"\n", 1)[0].decode("utf-8", "replace"))

    try:
        loop.add_reader(fd, readable)
    except (OSError, ValueError, NotImplementedError):
        return ""
    try:
        return await done
    finally:
        loop.remove_reader(fd)
