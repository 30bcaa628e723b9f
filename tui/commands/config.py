"""`frontdesk config check|apply|export`: the whole setup declared in config.toml (its
format is described in tui.config_file).

`check` reads the file and the store and changes nothing; every problem is one line,
`FILE:LINE: what is wrong; what to do`. `apply` checks first, then makes the store
match, one line per change. `export` writes the current settings as a config.toml.
What they do is in tui.commands.config_actions, imported when one runs: the checks read
the themes, which load Textual, and no other command should pay for that.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.commands.output import config_option

if TYPE_CHECKING:
    from engine.models import Agent
    from engine.service import Service


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    config = commands.add_parser(
        "config", help="the whole setup in config.toml: check, apply, export",
        description="Keep accounts, options, key remaps, theme and rules in config.toml "
        "(the file `frontdesk` reads: --config, else $FRONTDESK_CONFIG, else "
        "$XDG_CONFIG_HOME/frontdesk/config.toml). Secrets are never in it: passwords "
        'come from password_command, or stay stored (password_ref = "stored").')
    sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)

    check = sub.add_parser(
        "check", parents=[common], help="check the file; change nothing",
        description="Check config.toml against the format and the store, without changing "
        "anything. Every problem is printed on its own line, FILE:LINE: what is wrong; "
        "exit status 1 when there is one.")
    config_option(check, what="the config file")

    apply = sub.add_parser(
        "apply", parents=[common], help="make the store match the file",
        description="Check the file (nothing is applied if it has a problem), then add the "
        "accounts it declares, change what differs, and print one line per change. A key "
        "left out leaves its setting as it is. Accounts the file leaves out are listed "
        "and left alone, unless --prune.")
    config_option(apply, what="the config file")
    apply.add_argument("--dry-run", action="store_true",
                       help="print the changes without making any")
    apply.add_argument("--prune", action="store_true",
                       help="remove the accounts you configure that the file leaves out "
                       "(their mail is removed from the store; the server is untouched), "
                       "and the rules of declared accounts that it leaves out")

    export = sub.add_parser(
        "export", parents=[common], help="write the current settings as config.toml",
        description="Write the console's settings and every account you configure, with "
        "its SMTP, deny list, signature, sharing, rules and processing mode, as a "
        "config.toml that `config check` accepts. No secret is written.")
    config_option(export, what="the config file")
    export.add_argument("--output", "-o", metavar="FILE",
                        help="write FILE (created 0600) instead of standard output ('-')")


async def run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    from tui.commands import config_actions

    return await config_actions.run(args, service, agent)
