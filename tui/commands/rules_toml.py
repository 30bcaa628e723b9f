"""The TOML of `frontdesk rules export` and `frontdesk rules import`.

    [[mailbox]]
    account = "support"
    mode = "case"            # optional: none, lead or case (the processing mode)

    [[mailbox.rule]]
    name = "thanks"
    kind = "respond"         # or "filter"
    active = true            # optional: a new rule is off, an existing one stays as it is
    conditions = [
      { field = "subject", op = "contains", value = "refund" },
      { field = "header", header = "X-Priority", op = "equals", value = "1" },
    ]
    subject = ""             # respond only: a template ("" = "Re: " and the subject)
    body = "..."             # respond only; or template = "name", a saved template
    format = "plain"         # respond only: plain or html
    period_days = 4          # respond only: a sender is answered once every N days
    actions = ["move", "mark_read"]   # filter only: move, mark_read, flag, block
    folder = "Archive"       # filter only: where "move" puts the message

Only `account` (of a mailbox), `name` and `kind` (of a rule) are required. A rule is
found by its mailbox and name: one the file names is replaced by what the file says (a
key not given takes its default, but `active` stays as it was), one it does not name is
left alone, and a new one is added. The whole file is checked before anything changes,
as far as it can be without changing anything: whether a folder exists and whether you
may change a mailbox are the engine's to say when a rule is saved.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.errors import FrontdeskError, InvalidInputError, NotFoundError
from engine.models import Agent, Rule, RuleCondition
from engine.rules.admin import ACTIONS, KINDS, MODES
from engine.rules.conditions import check_condition
from engine.service import Service
from engine.templates import check_renders
from tui.toml_edit import format_string, format_value

_MAILBOX_KEYS: dict[str, type] = {"account": str, "mode": str, "rule": list}
RULE_KEYS: dict[str, type] = {
    "name": str, "kind": str, "active": bool, "conditions": list, "subject": str,
    "body": str, "template": str, "format": str, "period_days": int, "actions": list,
    "folder": str,
}
CONDITION_KEYS: dict[str, type] = {"field": str, "op": str, "value": str, "header": str}
_TYPE_NAMES = {str: "a string", bool: "true or false", int: "a whole number",
               list: "a list", dict: "a table"}
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,64}")
_MULTILINE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\r": "\\r", "\t": "\\t", "\b": "\\b",
                      "\f": "\\f"}


@dataclass(frozen=True)
class Entry:
    """One rule of the file, checked."""

    place: str
    rule: Rule  # id 0; `active` is False when the file does not say
    active: bool | None


@dataclass(frozen=True)
class Mailbox:
    place: str
    account: str
    mode: str | None
    rules: tuple[Entry, ...]


# -- export --------------------------------------------------------------------------------

async def export(service: Service, agent: Agent, account: str | None) -> str:
    """The rules (of `account`, or of every mailbox the agent may see that has rules or a
    processing mode) and each mailbox's processing mode, as TOML."""
    rules = await service.list_rules(agent, account)
    if account is not None:
        names = [account]
    else:
        names = sorted({a.name for a in await service.list_accounts(agent)})
    blocks = ["# frontdesk rules: load with `frontdesk rules import FILE`"]
    for name in names:
        mode = await service.processing_mode(agent, name)
        own = [r for r in rules if r.account == name]
        if account is None and not own and mode == "none":
            continue
        blocks.append(f"[[mailbox]]\naccount = {format_string(name)}\n"
                      f"mode = {format_string(mode)}")
        blocks.extend(rule_toml(r) for r in own)
    return "\n\n".join(blocks) + "\n"


def rule_toml(rule: Rule, *, header: str = "[[mailbox.rule]]", account: bool = False) -> str:
    """One rule as a TOML table under `header`; with `account`, the table names the
    rule's mailbox (`account = NAME`), as config.toml's [[rules]] do."""
    lines = [header]
    if account:
        lines.append(f"account = {format_string(rule.account)}")
    lines += [f"name = {format_string(rule.name)}", f"kind = {format_string(rule.kind)}",
              f"active = {format_value(rule.active)}"]
    if rule.conditions:
        lines.append("conditions = [")
        lines += [f"  {format_value(_condition_table(c))}," for c in rule.conditions]
        lines.append("]")
    else:
        lines.append("conditions = []")
    if rule.kind == "respond":
        lines.append(f"subject = {format_string(rule.subject)}")
        if rule.template:
            lines.append(f"template = {format_string(rule.template)}")
        else:
            lines.append(f"body = {multiline_string(rule.body)}")
            lines.append(f"format = {format_string(rule.format)}")
        lines.append(f"period_days = {rule.period_days}")
    else:
        lines.append(f"actions = {format_value(list(rule.actions))}")
        if rule.folder:
            lines.append(f"folder = {format_string(rule.folder)}")
    return "\n".join(lines)


def _condition_table(c: RuleCondition) -> dict[str, str]:
    table = {"field": c.field}
    if c.field == "header":
        table["header"] = c.header
    return {**table, "op": c.op, "value": c.value}


def multiline_string(text: str) -> str:
    """A TOML basic string; one spanning lines when the text has several. Backslashes,
    quotes and control characters (but the line breaks) are escaped."""
    if "\n" not in text:
        return format_string(text)
    out = []
    for char in text:
        if char in _MULTILINE_ESCAPES:
            out.append(_MULTILINE_ESCAPES[char])
        elif char != "\n" and (ord(char) < 0x20 or ord(char) == 0x7F):
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    # The line break after the opening quotes is not part of the string.
    return '"""\n' + "".join(out) + '"""'


# -- import --------------------------------------------------------------------------------

async def import_file(service: Service, agent: Agent, path: str, *, check: bool) -> int:
    source = "standard input" if path == "-" else path
    mailboxes = parse(_read(path), source)
    plan = await _plan(service, agent, mailboxes, source)
    counts = {"add": 0, "change": 0, "same": 0}
    for mailbox, mode_now, steps in plan:
        if mailbox.mode is not None and mailbox.mode != mode_now:
            if check:
                print(f"would set the processing mode of {mailbox.account} to "
                      f"{mailbox.mode} (now {mode_now})")
            else:
                await _apply(source, mailbox.place, service.set_processing_mode(
                    agent, mailbox.account, mailbox.mode))
                print(f"set the processing mode of {mailbox.account} to {mailbox.mode}")
        for what, entry, spec in steps:
            counts[what] += 1
            label = f"{mailbox.account}/{spec.name}"
            if what == "same":
                print(f"unchanged rule {spec.id} {label}")
            elif check:
                print(f"would {what} rule {label}" + (f" ({spec.id})" if spec.id else ""))
            else:
                saved = await _apply(source, entry.place, service.save_rule(agent, spec))
                print(f"{'added' if what == 'add' else 'changed'} rule {saved.id} {label}")
    if check:
        print(f"{source}: {counts['add']} to add, {counts['change']} to change, "
              f"{counts['same']} unchanged; nothing was changed (--check)")
    else:
        print(f"{source}: {counts['add']} added, {counts['change']} changed, "
              f"{counts['same']} unchanged")
    return 0


async def _apply(source: str, place: str, action: Any) -> Any:
    try:
        return await action
    except FrontdeskError as exc:
        raise InvalidInputError(f"{source}: {place}: {exc}") from None


Step = tuple[str, Entry, Rule]


async def _plan(service: Service, agent: Agent, mailboxes: list[Mailbox], source: str
                ) -> list[tuple[Mailbox, str, list[Step]]]:
    """What importing would do, mailbox by mailbox; InvalidInputError naming the place
    of the first thing the engine would refuse."""
    plan = []
    templates = {t.name for t in await service.list_templates(agent)}
    for mailbox in mailboxes:
        try:
            existing = {r.name: r for r in await service.list_rules(agent, mailbox.account)}
            mode_now = await service.processing_mode(agent, mailbox.account)
        except FrontdeskError as exc:
            raise InvalidInputError(f"{source}: {mailbox.place}: {exc}") from None
        steps: list[Step] = []
        for entry in mailbox.rules:
            try:
                await check_response(entry.rule, agent, templates)
            except FrontdeskError as exc:
                raise InvalidInputError(f"{source}: {entry.place}: {exc}") from None
            old = existing.get(entry.rule.name)
            spec, changed = to_save(entry.rule, entry.active, old)
            what = "add" if old is None else ("change" if changed else "same")
            steps.append((what, entry, spec))
        plan.append((mailbox, mode_now, steps))
    return plan


async def check_response(rule: Rule, agent: Agent, templates: Collection[str]) -> None:
    """What the engine would refuse of a rule's response, found without changing
    anything: a saved template not among `templates` (their names), or a body or subject
    that does not render. Raises FrontdeskError."""
    if rule.template and rule.template not in templates:
        raise NotFoundError(f"no template named {rule.template!r}; see "
                            "`frontdesk template list`")
    if rule.kind == "respond" and rule.body.strip():
        await check_renders(rule.body, agent, html=rule.format == "html",
                            label=f"rule {rule.name}")
    if rule.kind == "respond" and rule.subject.strip():
        await check_renders(rule.subject, agent, html=False,
                            label=f"rule {rule.name} subject")


def fingerprint(rule: Rule) -> tuple[object, ...]:
    """What a rule says, to tell a change from none (its id and dates left out)."""
    if rule.kind == "respond":
        text = ("template", rule.template) if rule.template else ("body", rule.body,
                                                                  rule.format)
        said: tuple[object, ...] = (rule.subject, text, rule.period_days)
    else:
        said = (tuple(sorted(rule.actions)), rule.folder)
    return (rule.name, rule.kind, rule.active, rule.conditions, said)


def to_save(rule: Rule, active: bool | None, old: Rule | None) -> tuple[Rule, bool]:
    """The rule to save in place of `old` (None: there is none yet), with old's id and
    switched on as `active` says (None: as old is, off when new); and whether that
    changes anything."""
    on = active if active is not None else bool(old and old.active)
    spec = replace(rule, id=old.id if old else 0, active=on)
    return spec, old is None or fingerprint(old) != fingerprint(spec)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    file = Path(path).expanduser()
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{file} is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot read {file}: {exc.strerror or exc}") from None


# -- parsing and checking ------------------------------------------------------------------

def parse(text: str, source: str) -> list[Mailbox]:
    """The mailboxes and rules of the file, checked as far as can be without the store;
    InvalidInputError naming the file, the place and the key of the first problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{source}: not valid TOML: {exc}") from None
    _keys(data, {"mailbox": list}, source, "the top level")
    mailboxes: list[Mailbox] = []
    seen: set[tuple[str, str]] = set()
    for n, table in enumerate(_tables(data.get("mailbox", []), source, "mailbox"), 1):
        place = f"mailbox {n}"
        _keys(table, _MAILBOX_KEYS, source, place, required=("account",))
        account = table["account"].strip()
        place = f"mailbox {n} ({account})"
        mode = table.get("mode")
        if mode is not None and mode not in MODES:
            raise _error(source, place, f"'mode' is one of {', '.join(MODES)}, not {mode!r}")
        entries = []
        for m, rule_table in enumerate(_tables(table.get("rule", []), source,
                                               f"{place}: 'rule'"), 1):
            entry = _entry(rule_table, account, source, f"{place}, rule {m}")
            if (account, entry.rule.name) in seen:
                raise _error(source, entry.place, "a rule of this name is in the file "
                             "already")
            seen.add((account, entry.rule.name))
            entries.append(entry)
        mailboxes.append(Mailbox(place, account, mode, tuple(entries)))
    return mailboxes


def _entry(table: dict[str, Any], account: str, source: str, place: str) -> Entry:
    if isinstance(table.get("name"), str):
        place = f"{place} ({table['name'].strip()})"
    rule, active, problems = read_rule(table, account)
    if problems:
        first = problems[0]
        where = place if first.condition is None else f"{place}, condition {first.condition + 1}"
        raise _error(source, where, first.message)
    assert rule is not None
    return Entry(place, rule, active)


@dataclass(frozen=True)
class RuleProblem:
    """What is wrong with one rule's table: `key` is the key at fault (None: the rule as
    a whole), `condition` the 0-based index of the condition at fault, if any."""

    key: str | None
    condition: int | None
    message: str


def read_rule(table: dict[str, Any], account: str, *, ignore: tuple[str, ...] = ()
              ) -> tuple[Rule | None, bool | None, list[RuleProblem]]:
    """A rule of `account` from its table, checked as far as can be without the store:
    (the rule, its `active` when the table says, []) or (None, None, every problem found,
    in the table's order). Keys in `ignore` belong to the caller (e.g. `account`)."""
    problems = [RuleProblem(key, None, text) for key, text in
                _key_problems(table, RULE_KEYS, ("name", "kind"), ignore)]
    conditions: list[RuleCondition] = []
    raw_conditions = table.get("conditions", [])
    if isinstance(raw_conditions, list):
        if not all(isinstance(v, dict) for v in raw_conditions):
            problems.append(RuleProblem("conditions", None,
                                        "'conditions': each item must be a table"))
        else:
            for n, condition in enumerate(raw_conditions):
                found = _key_problems(condition, CONDITION_KEYS, ("field", "op"), ())
                problems += [RuleProblem(key, n, text) for key, text in found]
                if found:
                    continue
                try:
                    conditions.append(check_condition(RuleCondition(**condition)))
                except InvalidInputError as exc:
                    problems.append(RuleProblem(None, n, str(exc)))
    actions = table.get("actions", [])
    if isinstance(actions, list) and not all(isinstance(a, str) for a in actions):
        problems.append(RuleProblem("actions", None, "'actions' must be a list of strings"))
    if problems:
        return None, None, problems
    rule = Rule(
        id=0, account_id=0, account=account, name=table["name"].strip(),
        kind=table["kind"], active=bool(table.get("active", False)), position=0,
        conditions=tuple(conditions), actions=tuple(actions),
        folder=table.get("folder", "").strip(), subject=table.get("subject", ""),
        body=table.get("body", ""), format=table.get("format", "plain"),
        template=table.get("template", "").strip(),
        period_days=table.get("period_days", 4),
    )
    try:
        checked = check_rule(rule)
    except InvalidInputError as exc:
        quoted = re.search(r"'([a-z_]+)'", str(exc))
        key = quoted.group(1) if quoted and quoted.group(1) in table else None
        return None, None, [RuleProblem(key, None, str(exc))]
    return checked, table.get("active"), []


def check_rule(rule: Rule) -> Rule:
    """What the engine will refuse of a rule, found without the store: the rule with
    its actions written as stored, or InvalidInputError."""
    if not _NAME.fullmatch(rule.name):
        raise InvalidInputError("'name' is 1 to 64 characters, without control characters")
    if rule.kind not in KINDS:
        raise InvalidInputError(f"'kind' is respond or filter, not {rule.kind!r}")
    if not 1 <= rule.period_days <= 365:
        raise InvalidInputError("'period_days' is 1 to 365")
    if rule.kind == "respond":
        if rule.actions or rule.folder:
            raise InvalidInputError("'actions' and 'folder' are for filters, not for "
                                    "a respond rule")
        if rule.format not in ("plain", "html"):
            raise InvalidInputError(f"'format' is plain or html, not {rule.format!r}")
        if bool(rule.body.strip()) == bool(rule.template):
            raise InvalidInputError("a respond rule needs 'body' or 'template' (one of "
                                    "the two)")
        return rule
    actions = tuple(dict.fromkeys(a.strip().lower().replace("-", "_") for a in rule.actions))
    wrong = [a for a in actions if a not in ACTIONS]
    if not actions or wrong:
        raise InvalidInputError(f"'actions' of a filter are some of {', '.join(ACTIONS)}"
                                + (f", not {wrong[0]!r}" if wrong else ""))
    if rule.body.strip() or rule.template or rule.subject.strip():
        raise InvalidInputError("'body', 'template' and 'subject' are for respond rules, "
                                "not for a filter")
    if ("move" in actions) != bool(rule.folder):
        raise InvalidInputError("a move needs 'folder' (and only a move has one)")
    return replace(rule, actions=actions)


def _keys(table: dict[str, Any], allowed: dict[str, type], source: str, place: str,
          required: tuple[str, ...] = ()) -> None:
    for _, problem in _key_problems(table, allowed, required, ())[:1]:
        raise _error(source, place, problem)


def _key_problems(table: dict[str, Any], allowed: dict[str, type],
                  required: tuple[str, ...], ignore: tuple[str, ...]) -> list[tuple[str, str]]:
    """(key, problem) for each unknown key, value of the wrong type and missing key."""
    found = []
    for key, value in table.items():
        if key in ignore:
            continue
        wanted = allowed.get(key)
        if wanted is None:
            found.append((key, f"unknown key {key!r}"))
            continue
        fits = type(value) is int if wanted is int else isinstance(value, wanted)
        if not fits:
            found.append((key, f"{key!r} must be {_TYPE_NAMES[wanted]}, not {_kind(value)}"))
    found += [(key, f"missing key {key!r}") for key in required if key not in table]
    return found


def _tables(value: list[Any], source: str, place: str) -> list[dict[str, Any]]:
    if not all(isinstance(v, dict) for v in value):
        raise _error(source, place, "each item must be a table")
    return value


def _kind(value: Any) -> str:
    for kind, name in _TYPE_NAMES.items():
        if type(value) is kind:
            return name
    return type(value).__name__


def _error(source: str, place: str, problem: str) -> InvalidInputError:
    return InvalidInputError(f"{source}: {place}: {problem}")
