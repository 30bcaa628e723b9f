"""`frontdesk account add NAME` step by step, when no server and no password flag is
given (or with --wizard): the address, discovery of its servers, the servers to accept
or correct, how to sign in, the password, a saved and tested account, the folders to
sync and what to import, how it sends, a signature, and a first sync.

Every step has a flag, so a script can give all of it (with --yes, every question that
has a default takes it); what is not given is asked on the terminal (tui.commands.
wizard_prompts). The settings are built by engine.setup.plan, as the console's wizard
builds them. An account that was saved but never connected is removed again when the
wizard stops; one that connects is kept, and the way to finish it is said.

This module holds the flags and the choice to run step by step; the steps are in
tui.commands.account_wizard_steps, loaded when they run.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from engine.errors import InvalidInputError
from engine.setup.choices import DEFAULT_TIMEOUT, SMTP_CHOICES

if TYPE_CHECKING:
    from engine.models import Agent
    from engine.service import Service

# Flags only the wizard reads: given without it, they would be silently ignored.
WIZARD_ONLY = ("yes", "smtp", "signature_file", "no_sync", "dns_server", "autoconfig_url",
               "timeout", "no_ispdb")


class DefaultText(str):
    """A flag's default, told apart from the same text typed on the command line (the
    wizard asks about a flag left out; `account add` with server flags takes it)."""


def register_options(add: argparse.ArgumentParser) -> None:
    """The wizard's flags on `account add`."""
    add.set_defaults(folders=DefaultText("INBOX"), import_mode=DefaultText("all"),
                     protocol=DefaultText("imap"))
    steps = add.add_argument_group(
        "step by step", "With no --imap-host and no --password-stdin, --password-command "
        "or --oauth (or with --wizard), the account is set up step by step: the servers "
        "are found from the address and each step is asked unless a flag gives it.")
    steps.add_argument("--wizard", action="store_true",
                       help="set up step by step even with server or password flags")
    steps.add_argument("--yes", "-y", action="store_true",
                       help="accept the servers found and the default of every step not "
                       "given by a flag, without asking")
    steps.add_argument("--smtp", choices=SMTP_CHOICES,
                       help="send through the SMTP server found (discovered), the system "
                       "SMTP, or none yet (default: the one found, else the system SMTP "
                       "unless it is known to be unset)")
    steps.add_argument("--signature-file", metavar="FILE",
                       help="your signature for replies from this account (UTF-8 text)")
    steps.add_argument("--no-sync", action="store_true",
                       help="do not sync the account once it is set up")
    steps.add_argument("--dns-server", metavar="HOST[:PORT]",
                       help="find the servers with this DNS server (an IP address)")
    steps.add_argument("--autoconfig-url", metavar="URL",
                       help="read this config-v1.1.xml first to find the servers")
    steps.add_argument("--timeout", type=float, metavar="S",
                       help="seconds for each lookup while finding the servers (default: "
                       f"{DEFAULT_TIMEOUT:g})")
    steps.add_argument("--no-ispdb", action="store_true",
                       help="do not ask Thunderbird's ISPDB, which learns the domain")


def given(value: object) -> bool:
    """Whether a flag was given on the command line (not its default)."""
    return value is not None and not isinstance(value, DefaultText)


def wanted(args: argparse.Namespace) -> bool:
    """Whether `account add` runs step by step. When it does not, checks what adding
    the account at once needs (an address and a password, a command or --oauth)."""
    secret = args.password_stdin or args.password_command or args.oauth
    if args.wizard or not (args.imap_host or secret):
        return True
    if not args.email:
        raise InvalidInputError("--email is needed; or leave out the server and password "
                                "flags (or add --wizard) to be asked step by step")
    if not secret:
        raise InvalidInputError("give --password-stdin, --password-command or --oauth; or "
                                "add --wizard to be asked step by step")
    extra = next((name for name in WIZARD_ONLY if getattr(args, name) not in (None, False)),
                 None)
    if extra is not None:
        raise InvalidInputError(f"--{extra.replace('_', '-')} is for the step-by-step setup: "
                                "add --wizard")
    return False


async def run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    """Set the account up step by step; 0 once it is saved and tested."""
    from tui.commands.account_wizard_steps import AccountWizard
    from tui.commands.wizard_prompts import Prompter

    return await AccountWizard(args, service, agent, Prompter(assume_yes=args.yes)).run()
