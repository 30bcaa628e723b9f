"""`frontdesk account drafts NAME [--mirror on|off]`: your drafts in the account's Drafts
folder on the server, for your other mail clients."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.commands.output import print_json

if TYPE_CHECKING:
    from engine.models import Agent
    from engine.sending.drafts_mirror import DraftsMirror
    from engine.service import Service

ACCOUNT_ACTIONS = ("drafts",)


def register_account_actions(sub: argparse._SubParsersAction,
                             common: argparse.ArgumentParser) -> None:
    drafts = sub.add_parser(
        "drafts", parents=[common], help="mirror your drafts to the account's Drafts folder",
        description="Show, or with --mirror set, whether your drafts are copied to the "
        "Drafts folder of your personal account on the server, where your other mail "
        "clients show them. Shared accounts never mirror drafts.")
    drafts.add_argument("name")
    drafts.add_argument("--mirror", choices=("on", "off"),
                        help="on: copy your drafts there as you write them; off: take "
                        "the copies out again")
    drafts.add_argument("--json", action="store_true")


def describe(setting: DraftsMirror) -> str:
    """One line saying where the account's drafts are kept."""
    name = setting.account
    if setting.kind != "personal":
        return f"drafts of {name} are never mirrored: it is a shared account"
    if not setting.on:
        return (f"drafts of {name} stay in frontdesk; mirror them with "
                f"`frontdesk account drafts {name} --mirror on`")
    if setting.drafts_folder is None:
        return (f"drafts of {name} are mirrored, but no Drafts folder is known yet: sync "
                f"the account, or name one with `frontdesk account folders {name} "
                "--role FOLDER=drafts`")
    return f"drafts of {name} are mirrored to {setting.drafts_folder} on the server"


async def run_account(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    if args.mirror is None:
        setting = await service.drafts_mirror(agent, args.name)
    else:
        setting = await service.set_drafts_mirror(agent, args.name, args.mirror == "on")
    if args.json:
        print_json(setting)
    else:
        print(describe(setting))
    return 0
