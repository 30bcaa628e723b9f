"""Running what an SSH client asked for, under an authorized_keys forced command.

sshd runs a key's forced command (`frontdesk --db DB --agent NAME`) whatever the client
asked for, and leaves the request in SSH_ORIGINAL_COMMAND: `ssh gw@host frontdesk list`
then lists as NAME, and `ssh -t gw@host` opens the console. The request runs with the
forced --agent and --db; one that names its own is refused, and the refusal audited.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
from collections.abc import Mapping

from engine.errors import AccessDeniedError, FrontdeskError, InvalidInputError
from engine.service import LocalService

ORIGINAL_COMMAND = "SSH_ORIGINAL_COMMAND"


def apply(
    parser: argparse.ArgumentParser, args: argparse.Namespace, environ: Mapping[str, str]
) -> argparse.Namespace:
    """The command line to run: `args` as given, or, when they are a forced command
    (--agent and no command) and the client asked for something, that request parsed,
    with the forced --agent and --db."""
    text = environ.get(ORIGINAL_COMMAND, "").strip()
    if args.command is not None or args.agent is None or not text:
        return args
    try:
        return _requested(parser, args, text)
    except FrontdeskError as exc:
        asyncio.run(_audit(args, text, exc))
        raise


def _requested(
    parser: argparse.ArgumentParser, forced: argparse.Namespace, text: str
) -> argparse.Namespace:
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise InvalidInputError(f"the SSH command is not valid: {exc}") from None
    if not words or words[0] != "frontdesk":
        raise AccessDeniedError(
            "this SSH key runs frontdesk only: ssh HOST frontdesk COMMAND [OPTIONS]")
    requested = parser.parse_args(words[1:])
    if requested.agent is not None or requested.db is not None:
        raise AccessDeniedError(
            "this SSH key sets --agent and --db itself; leave them out of the command")
    if requested.command == "demo":
        raise AccessDeniedError("frontdesk demo does not run through an SSH key")
    requested.agent, requested.db = forced.agent, forced.db
    return requested


async def _audit(forced: argparse.Namespace, text: str, exc: FrontdeskError) -> None:
    """Write the refusal to the store's audit log, as the forced agent."""
    from engine.paths import resolve_db

    service = await LocalService.open(resolve_db(forced.db))
    try:
        agent = await service.login(forced.agent)
        await service.record_refusal(agent, f"ssh command: {text}", str(exc))
    finally:
        await service.close()
