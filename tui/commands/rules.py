"""`frontdesk rules list|show|add|edit|enable|disable|remove|test|run|why|mode|import|export`:
rules on arrival, from scripts and shells.

A rule belongs to one mailbox. An auto-response rule (--respond) answers the sender of a
matching message; a filter (--filter) moves, marks read, flags or blocks it. A rule is
added switched off: test it (`rules test`, a dry run), then `rules enable` it. It acts
on mail arriving from then on; `rules run` applies the active rules to older mail, on
purpose. The TOML of `rules export` and `rules import` is described in tui.commands.rules_toml.

RULE is a rule's id or its name (with --account when the name is in several mailboxes).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import FrontdeskError, InvalidInputError, NotFoundError
from engine.rules.conditions import FIELDS, OPERATORS, describe
from tui.commands.output import positive_int, print_json, print_table
from tui.commands.text_file import read_utf8

if TYPE_CHECKING:
    from engine.models import Agent, Rule, RuleOutcome, RuleTest
    from engine.service import Service

CONDITION_HELP = (f"FIELD is one of {', '.join(FIELDS)}; OP one of {', '.join(OPERATORS)}. "
                  "Every condition must hold; case is ignored.")
ACTION_ORDER = ("move", "mark_read", "flag", "block")


# -- the command line ----------------------------------------------------------------------

def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    rules = commands.add_parser(
        "rules", help="rules on arrival: auto-responses and filters of a mailbox",
        description="Rules on arrival. A rule is added switched off: try it with `rules "
        "test`, then switch it on with `rules enable`. RULE is a rule's id or its name.",
    )
    sub = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)

    listing = sub.add_parser("list", parents=[common], help="list the rules")
    listing.add_argument("--account", metavar="NAME", help="of this mailbox only")
    listing.add_argument("--json", action="store_true")

    show = sub.add_parser("show", parents=[common], help="a rule in full, response included")
    _rule_ref(show)
    show.add_argument("--json", action="store_true")

    add = sub.add_parser(
        "add", parents=[common], help="add a rule (switched off unless --enable)",
        description="Add a rule to a mailbox. " + CONDITION_HELP,
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("--account", metavar="NAME", required=True, help="the mailbox")
    _spec_options(add, kind_required=True)
    add.add_argument("--save-as", metavar="TEMPLATE",
                     help="also save the response as this template, and use it")
    add.add_argument("--enable", action="store_true", help="switch the rule on now")

    edit = sub.add_parser(
        "edit", parents=[common], help="change a rule; what is not given stays",
        description="Change a rule. What is not given stays; --if replaces every "
        "condition, and an action option replaces every action. " + CONDITION_HELP,
    )
    _rule_ref(edit)
    edit.add_argument("--rename", metavar="NAME", help="give the rule a new name")
    edit.add_argument("--clear-conditions", action="store_true",
                      help="drop every condition (the rule then matches every message)")
    _spec_options(edit, kind_required=False)
    edit.add_argument("--save-as", metavar="TEMPLATE",
                      help="also save the response as this template, and use it")
    state = edit.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="active", action="store_const", const=True)
    state.add_argument("--disable", dest="active", action="store_const", const=False)

    for action, said in (("enable", "switch a rule on: it acts on mail arriving from now"),
                         ("disable", "switch a rule off"), ("remove", "remove a rule")):
        _rule_ref(sub.add_parser(action, parents=[common], help=said))

    test = sub.add_parser(
        "test", parents=[common], help="dry run: what a rule would do with recent mail",
        description="What a rule would do with the mailbox's last inbox messages; nothing "
        "is written or sent. Test a saved rule (RULE, with any edit options applied "
        "first), or one only written here (--account and --respond or --filter).",
    )
    test.add_argument("rule", nargs="?", metavar="RULE", help="a saved rule's id or name")
    test.add_argument("--account", metavar="NAME", help="the mailbox")
    test.add_argument("--name", default="unsaved rule", help=argparse.SUPPRESS)
    _spec_options(test, kind_required=False)
    test.add_argument("--last", type=positive_int, default=50, metavar="N",
                      help="how many of the latest inbox messages (default: 50)")
    test.add_argument("--show-response", action="store_true",
                      help="print the responses that would be sent")
    test.add_argument("--json", action="store_true")

    run = sub.add_parser(
        "run", parents=[common], help="apply the active rules to older inbox mail",
        description="Apply the mailbox's active rules to its last N inbox messages, mail "
        "older than the rules included: answers are queued and filters act.",
    )
    run.add_argument("--account", metavar="NAME", required=True)
    run.add_argument("--last", type=positive_int, required=True, metavar="N")
    run.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    run.add_argument("--json", action="store_true")

    why = sub.add_parser("why", parents=[common], help="what the rules did with a message")
    why.add_argument("message_id", type=int, metavar="MESSAGE_ID")
    why.add_argument("--json", action="store_true")

    mode = sub.add_parser(
        "mode", parents=[common], help="show or set a mailbox's processing mode",
        description="What the first message of a new thread becomes: none, lead or case.",
    )
    mode.add_argument("account", metavar="ACCOUNT")
    mode.add_argument("mode", nargs="?", metavar="none|lead|case")

    export = sub.add_parser("export", parents=[common], help="print the rules as TOML")
    export.add_argument("--account", metavar="NAME", help="of this mailbox only")

    imported = sub.add_parser(
        "import", parents=[common], help="add or update rules from a TOML file",
        description="Add or update rules by mailbox and name from TOML as `rules export` "
        "writes it.",
    )
    imported.add_argument("file", metavar="FILE", help="the TOML file ('-': standard input)")
    imported.add_argument("--check", action="store_true",
                          help="check the file and say what would change; change nothing")


def _rule_ref(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule", metavar="RULE", help="the rule's id or name")
    parser.add_argument("--account", metavar="NAME",
                        help="the mailbox, when the name is in several")


class _Condition(argparse.Action):
    """--if FIELD OP VALUE and --if-header NAME OP VALUE, kept in the order given."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from engine.models import RuleCondition

        found = list(getattr(namespace, self.dest) or [])
        first, op, value = values
        if option_string == "--if-header":
            found.append(RuleCondition(field="header", op=op, value=value, header=first))
        else:
            found.append(RuleCondition(field=first, op=op, value=value))
        setattr(namespace, self.dest, found)


def _spec_options(parser: argparse.ArgumentParser, *, kind_required: bool) -> None:
    kind = parser.add_mutually_exclusive_group(required=kind_required)
    kind.add_argument("--respond", dest="kind", action="store_const", const="respond",
                      help="an auto-response rule")
    kind.add_argument("--filter", dest="kind", action="store_const", const="filter",
                      help="a filter: move, mark read, flag or block")
    parser.add_argument("--if", dest="conditions", action=_Condition, nargs=3, default=None,
                        metavar=("FIELD", "OP", "VALUE"), help="a condition; repeatable")
    parser.add_argument("--if-header", dest="conditions", action=_Condition, nargs=3,
                        default=None, metavar=("NAME", "OP", "VALUE"),
                        help="a condition on a header; repeatable")
    body = parser.add_mutually_exclusive_group()
    body.add_argument("--body-file", metavar="PATH",
                      help="the response's text, a template ('-': standard input)")
    body.add_argument("--body", metavar="TEXT", help="the response's text, a template")
    body.add_argument("--template", metavar="NAME", help="answer with this saved template")
    parser.add_argument("--subject", metavar="TPL",
                        help="the response's subject, a template (default: Re: + subject)")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--html", dest="format", action="store_const", const="html",
                      help="the response is HTML")
    form.add_argument("--plain", dest="format", action="store_const", const="plain",
                      help="the response is plain text (the default)")
    parser.add_argument("--period-days", type=int, metavar="N",
                        help="answer a sender once every N days (default: 4)")
    parser.add_argument("--move", metavar="FOLDER", help="move the message to FOLDER")
    parser.add_argument("--mark-read", action="store_true", help="mark the message read")
    parser.add_argument("--flag", action="store_true", help="flag the message")
    parser.add_argument("--block", action="store_true", help="block the sender's address")


# -- running -------------------------------------------------------------------------------

async def run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    action = args.rules_command
    if action == "list":
        _print_rules(await service.list_rules(agent, args.account), json=args.json)
        return 0
    if action == "show":
        found = await resolve(service, agent, args.rule, args.account)
        if args.json:
            print_json(found)
        else:
            _print_rule(found)
        return 0
    if action in ("add", "edit"):
        return await _save(args, service, agent)
    if action in ("enable", "disable", "remove"):
        return await _switch(action, args, service, agent)
    if action == "test":
        return await _test(args, service, agent)
    if action == "run":
        return await _run(args, service, agent)
    if action == "why":
        outcomes = await service.rule_outcomes(agent, args.message_id)
        if args.json:
            print_json(outcomes)
        elif not outcomes:
            print(f"the rules have not acted on message {args.message_id}", file=sys.stderr)
        else:
            _print_outcomes(outcomes, with_message=False)
        return 0
    if action == "mode":
        return await _mode(args, service, agent)
    if action == "export":
        from tui.commands import rules_toml

        sys.stdout.write(await rules_toml.export(service, agent, args.account))
        return 0
    if action == "import":
        from tui.commands import rules_toml

        return await rules_toml.import_file(service, agent, args.file, check=args.check)
    raise InvalidInputError(f"unknown rules action {action!r}")


async def resolve(service: Service, agent: Agent, ref: str, account: str | None) -> Rule:
    """The rule with this id, else the one of this name (in `account`, when given)."""
    missing: FrontdeskError | None = None
    if ref.strip().isascii() and ref.strip().isdigit():
        try:
            found = await service.rule(agent, int(ref))
        except NotFoundError as exc:
            missing = exc  # perhaps a rule named with digits
        else:
            if account is not None and found.account != account:
                raise NotFoundError(f"rule {found.id} is in the mailbox {found.account}, "
                                    f"not {account}")
            return found
    named = [r for r in await service.list_rules(agent, account) if r.name == ref.strip()]
    if not named:
        if missing is not None:
            raise missing
        where = f" in the mailbox {account}" if account else ""
        raise NotFoundError(f"no rule named {ref!r}{where}; see `frontdesk rules list`")
    if len(named) > 1:
        raise InvalidInputError(
            f"rules named {ref!r} are in several mailboxes "
            f"({', '.join(r.account for r in named)}); add --account NAME or give the "
            "rule's id")
    return named[0]


async def _save(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    if args.rules_command == "add":
        base = blank_rule(args.account, args.name, args.kind)
        spec = apply_options(base, args)
        if args.enable:
            spec = replace(spec, active=True)
        saved = await service.save_rule(agent, spec, save_as=args.save_as)
        print(f"added rule {saved.id} {saved.name} to {saved.account} ({saved.kind}, "
              f"{_state(saved)})")
        if not saved.active:
            print(f"try it with `frontdesk rules test {saved.id}`, switch it on with "
                  f"`frontdesk rules enable {saved.id}`", file=sys.stderr)
        return 0
    current = await resolve(service, agent, args.rule, args.account)
    spec = apply_options(current, args)
    if args.rename is not None:
        spec = replace(spec, name=args.rename)
    if args.active is not None:
        spec = replace(spec, active=args.active)
    saved = await service.save_rule(agent, spec, save_as=args.save_as)
    print(f"updated rule {saved.id} {saved.name} of {saved.account} ({saved.kind}, "
          f"{_state(saved)})")
    return 0


async def _switch(action: str, args: argparse.Namespace, service: Service, agent: Agent) -> int:
    found = await resolve(service, agent, args.rule, args.account)
    if action == "remove":
        removed = await service.remove_rule(agent, found.id)
        print(f"removed rule {removed.id} {removed.name} of {removed.account}")
        return 0
    saved = await service.set_rule_active(agent, found.id, action == "enable")
    said = "it acts on mail arriving from now on" if saved.active else "it acts no more"
    print(f"{action}d rule {saved.id} {saved.name} of {saved.account}: {said}")
    return 0


async def _test(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    if args.rule is not None:
        base = await resolve(service, agent, args.rule, args.account)
    elif args.account is None or args.kind is None:
        raise InvalidInputError("test a saved RULE, or write one: --account NAME and "
                                "--respond or --filter, with its options")
    else:
        base = blank_rule(args.account, args.name, args.kind)
    found = await service.test_rule(agent, apply_options(base, args), last=args.last)
    if args.json:
        print_json(found)
        return 0
    _print_tests(found, show_response=args.show_response)
    return 0


async def _run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    if not args.yes:
        _confirm(f"apply the active rules of {args.account} to its last {args.last} inbox "
                 "messages (responses may be sent)?")
    found = await service.run_rules(agent, args.account, last=args.last)
    if args.json:
        print_json(found)
        return 0
    if found:
        _print_outcomes(found, with_message=True)
    fired = sum(o.fired for o in found)
    print(f"applied the active rules of {args.account}: {len(found)} "
          f"outcome{'' if len(found) == 1 else 's'}, {fired} fired; see `frontdesk rules "
          "why MESSAGE_ID`", file=sys.stderr)
    return 0


def _confirm(question: str) -> None:
    if not sys.stdin.isatty():
        raise InvalidInputError("rules run changes mail and may send responses; add --yes "
                                "to go ahead without a terminal")
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise FrontdeskError("nothing done")


async def _mode(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    if args.mode is None:
        print(await service.processing_mode(agent, args.account))
        return 0
    changed = await service.set_processing_mode(agent, args.account, args.mode.strip())
    said = "set to" if changed else "already"
    print(f"processing mode of {args.account}: {said} {args.mode.strip()}")
    return 0


# -- building a rule from options --------------------------------------------------------------

def blank_rule(account: str, name: str, kind: str) -> Rule:
    from engine.models import Rule

    return Rule(id=0, account_id=0, account=account, name=name, kind=kind, active=False,
                position=0, conditions=())


def apply_options(base: Rule, args: argparse.Namespace) -> Rule:
    """`base` with what the options say; what they do not say stays. A rule turned into
    the other kind drops what belongs only to its old kind."""
    spec = editable(base)
    kind = args.kind or base.kind
    if kind != base.kind:
        spec = replace(spec, kind=kind, actions=(), folder="", subject="", body="",
                       template="", format="plain")
    if getattr(args, "clear_conditions", False):
        spec = replace(spec, conditions=())
    if args.conditions is not None:
        spec = replace(spec, conditions=tuple(args.conditions))
    if args.body is not None:
        spec = replace(spec, body=args.body, template="")
    elif args.body_file is not None:
        spec = replace(spec, body=read_text(args.body_file), template="")
    elif args.template is not None:
        spec = replace(spec, body="", template=args.template)
    if args.subject is not None:
        spec = replace(spec, subject=args.subject)
    if args.format is not None:
        spec = replace(spec, format=args.format)
    if args.period_days is not None:
        spec = replace(spec, period_days=args.period_days)
    given = {"move": args.move is not None, "mark_read": args.mark_read, "flag": args.flag,
             "block": args.block}
    if any(given.values()):
        spec = replace(spec, actions=tuple(a for a in ACTION_ORDER if given[a]),
                       folder=args.move or "")
    return spec


def editable(rule: Rule) -> Rule:
    """A saved rule as save_rule takes it back: one answering with a saved template
    carries the template's name only (reading it fills in the template's text)."""
    return replace(rule, body="") if rule.template else rule


def read_text(path: str) -> str:
    """A response's text from a UTF-8 file, or standard input for '-'; a little more than
    a template may hold is read, so an oversized one is refused with the limit."""
    from engine.templates import MAX_SOURCE_CHARS

    if path == "-":
        return sys.stdin.read(MAX_SOURCE_CHARS + 1)
    return read_utf8(Path(path).expanduser(), MAX_SOURCE_CHARS)


# -- printing ------------------------------------------------------------------------------

def conditions_said(rule: Rule) -> str:
    return " and ".join(describe(c) for c in rule.conditions) or "(every message)"


def actions_said(rule: Rule) -> str:
    if rule.kind != "filter":
        return "answer"
    said = {"move": f"move to {rule.folder}", "mark_read": "mark read"}
    return ", ".join(said.get(a, a) for a in rule.actions)


def _state(rule: Rule) -> str:
    return "enabled" if rule.active else "disabled"


def _print_rules(found: list[Rule], *, json: bool) -> None:
    if json:
        print_json(found)
        return
    print_table(("ID", "ACCOUNT", "NAME", "KIND", "ACTIVE", "CONDITIONS", "ACTION"),
                [(r.id, r.account, r.name, r.kind, r.active, conditions_said(r),
                  actions_said(r)) for r in found])


def _print_rule(rule: Rule) -> None:
    lines = [f"rule {rule.id}: {rule.name}",
             f"mailbox:     {rule.account}",
             f"kind:        {rule.kind}",
             "active:      " + (f"yes, since {rule.enabled_at}" if rule.active else "no")]
    said = [describe(c) for c in rule.conditions] or ["(every message)"]
    lines.append(f"conditions:  {said[0]}")
    lines += [f"        and  {c}" for c in said[1:]]
    if rule.kind == "filter":
        lines.append(f"actions:     {actions_said(rule)}")
    else:
        lines.append(f"subject:     {rule.subject or '(Re: and the message subject)'}")
        source = f"the template {rule.template}" if rule.template else "its own text"
        lines.append(f"response:    {source} ({rule.format})")
        lines.append(f"answers:     a sender once every {rule.period_days} "
                     f"day{'' if rule.period_days == 1 else 's'}")
    lines.append(f"updated:     {rule.updated_at}")
    print("\n".join(lines))
    if rule.kind == "respond":
        print()
        print(rule.body, end="" if rule.body.endswith("\n") else "\n")


def _print_tests(found: list[RuleTest], *, show_response: bool) -> None:
    print_table(("ID", "DATE", "FROM", "SUBJECT", "MATCH", "WOULD FIRE", "DETAIL"),
                [(t.message_id, t.date, t.from_addr, t.subject, t.matched, t.fired,
                  t.detail) for t in found])
    matched, fired = sum(t.matched for t in found), sum(t.fired for t in found)
    print(f"{len(found)} message{'' if len(found) == 1 else 's'} tested: {matched} "
          f"match, {fired} would fire")
    if not show_response:
        return
    for t in found:
        if t.fired and (t.response_text or t.response_subject):
            print()
            print(f"== message {t.message_id}: to {t.response_to}, subject "
                  f"{t.response_subject}")
            text = t.response_text
            print(text, end="" if text.endswith("\n") else "\n")


def _print_outcomes(found: list[RuleOutcome], *, with_message: bool) -> None:
    headers: tuple[str, ...] = ("NAME", "SOURCE", "MATCHED", "FIRED", "DETAIL")
    rows: list[tuple[object, ...]] = [(o.name, o.source, o.matched, o.fired, o.detail)
                                      for o in found]
    if with_message and any(o.message_id for o in found):
        headers = ("MESSAGE", *headers)
        rows = [(o.message_id or None, *row) for o, row in zip(found, rows, strict=True)]
    print_table(headers, rows)
