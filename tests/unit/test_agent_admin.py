"""Agents, addresses, gateways and authorized_keys lines: who may change them, the rules
that keep a store administrable, and the audit rows every change and refusal leaves."""

import base64
import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from engine import agent_admin
from engine.errors import (
    AccessDeniedError,
    ConflictError,
    FrontdeskError,
    InvalidInputError,
    NotFoundError,
    UnknownAgentError,
)
from engine.identity import resolve_agent
from engine.models import AgentSpec
from engine.service import LocalService
from engine.ssh_keys import forced_command, parse_public_key
from storage import access, agents
from tests.store_factory import build_team

PROGRAM = "/opt/frontdesk/bin/frontdesk"


@pytest.fixture
async def team(tmp_path: Path):
    service = await LocalService.open(tmp_path / "a.db")
    t = await build_team(service.store)
    yield service, t
    await service.close()


async def audit_rows(service: LocalService, action: str) -> list[dict]:
    rows = await service.store.reader.fetchall(
        "SELECT agent_id, target_id, detail FROM audit_log WHERE action = ? ORDER BY id",
        (action,))
    return [{"agent_id": r[0], "target_id": r[1], **json.loads(r[2])} for r in rows]


async def refused(service: LocalService) -> list[dict]:
    """Every refusal's audit row, by rule ("agent.refused", written here) or by access
    ("access.refused", written at the Service boundary): who, what, why."""
    rows = await service.store.reader.fetchall(
        "SELECT agent_id, action, detail FROM audit_log "
        "WHERE action IN ('agent.refused', 'access.refused') ORDER BY id")
    found = []
    for agent_id, action, detail in rows:
        data = json.loads(detail)
        found.append({"agent_id": agent_id, "action": action,
                      "what": data.get("attempted") or data.get("method"),
                      "reason": data.get("reason") or data.get("error")})
    return found


def ed25519_key(comment: str = "alice@laptop", *, seed: bytes = b"k" * 32) -> str:
    """A public key line as ssh-keygen writes it (the key bytes need not be a real
    point: only the format is checked)."""
    name = b"ssh-ed25519"
    blob = len(name).to_bytes(4, "big") + name + (32).to_bytes(4, "big") + seed
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}\n"


def ssh_keygen_fingerprint(line: str, folder: Path) -> str:
    keys = folder / "authorized_keys"
    keys.write_text(line + "\n", encoding="utf-8")
    shown = subprocess.run(["ssh-keygen", "-l", "-f", str(keys)],
                           capture_output=True, text=True, check=False)
    assert shown.returncode == 0, shown.stderr
    return shown.stdout


def sshd_command(line: str) -> tuple[str, list[str]]:
    """Read the command="..." option as sshd does (only \\" is an escape); return it and
    what follows the options."""
    prefix = 'restrict,pty,command="'
    assert line.startswith(prefix)
    out, i = [], len(prefix)
    while line[i] != '"':
        if line[i] == "\\" and line[i + 1] == '"':
            i += 1
        out.append(line[i])
        i += 1
    return "".join(out), line[i + 1:].split(" ", 3)[1:]


async def test_admin_adds_agents_with_defaults_and_clear_refusals(team) -> None:
    service, t = team
    ann, bob = t.agents["ann"], t.agents["bob"]
    added = await service.add_agent(ann, AgentSpec("dave", display_name="  Dave   D ",
                                                   email="dave@acme.example"))
    assert not added.reactivated
    assert (added.agent.os_user, added.agent.role, added.agent.display_name) == (
        "dave", "agent", "Dave D")
    gate_only = await service.add_agent(ann, AgentSpec("erin", no_os_user=True, role="admin"))
    assert (gate_only.agent.os_user, gate_only.agent.role) == (None, "admin")
    assert [r["name"] for r in await audit_rows(service, "agent.create")] == ["dave", "erin"]

    for bad in ("Dave2", "a b", "-x", "x" * 33, "", "ünïcode"):
        with pytest.raises(InvalidInputError, match="agent name"):
            await service.add_agent(ann, AgentSpec(bad))
    with pytest.raises(ConflictError, match="exists already"):
        await service.add_agent(ann, AgentSpec("dave"))
    with pytest.raises(ConflictError, match="belongs to the agent 'bob'"):
        await service.add_agent(ann, AgentSpec("robert", os_user="bob"))
    with pytest.raises(ConflictError, match="email of agent 'dave'"):
        await service.add_agent(ann, AgentSpec("fred", email="DAVE@acme.example"))
    with pytest.raises(AccessDeniedError, match="only an admin"):
        await service.add_agent(bob, AgentSpec("mallory"))
    assert await agents.by_name(service.store.reader, "mallory") is None
    rows = await refused(service)
    assert [r["what"] for r in rows] == ["agent.add"] * 9 + ["add_agent"]
    assert rows[-1]["agent_id"] == bob.id and "only an admin" in rows[-1]["reason"]


async def test_admin_checks_read_the_role_from_the_store(team) -> None:
    service, t = team
    ann, bob = t.agents["ann"], t.agents["bob"]
    await service.set_agent_role(ann, "bob", "admin")
    await service.set_agent_role(bob, "ann", "agent")  # bob's copy still says "agent"
    assert ann.role == "admin"  # ann's copy still says admin; the store does not
    with pytest.raises(AccessDeniedError):
        await service.add_agent(ann, AgentSpec("dave"))
    with pytest.raises(AccessDeniedError):
        await service.add_gateway(ann, "gw")
    roles = [(r["name"], r["from"], r["to"]) for r in await audit_rows(service, "agent.role")]
    assert roles == [("bob", "agent", "admin"), ("ann", "admin", "agent")]


async def test_the_last_active_admin_stays(team) -> None:
    service, t = team
    ann = t.agents["ann"]
    with pytest.raises(ConflictError, match="last active admin"):
        await service.set_agent_role(ann, "ann", "agent")
    with pytest.raises(ConflictError, match="last active admin"):
        await service.remove_agent(ann, "ann")
    current = await agents.by_name(service.store.reader, "ann")
    assert current is not None and current.role == "admin" and current.active
    # With a second admin, ann may step down; then carol is the last one.
    await service.set_agent_role(ann, "carol", "admin")
    await service.set_agent_role(ann, "ann", "agent")
    carol = t.agents["carol"]
    with pytest.raises(ConflictError, match="last active admin"):
        await service.set_agent_role(carol, "carol", "agent")
    assert await agents.count_active_admins(service.store.reader) == 1
    attempts = [r["what"] for r in await refused(service)]
    assert attempts == ["agent.role", "agent.remove", "agent.role"]


async def test_remove_deactivates_drops_grants_and_reactivation_brings_back(team) -> None:
    service, t = team
    ann, bob, carol = t.agents["ann"], t.agents["bob"], t.agents["carol"]
    async with service.store.transaction() as db:
        await access.grant_agent(db, account_id=t.accounts["ann-mail"], agent_id=carol.id,
                                 can_act=False, granted_by=ann.id)
    await service.assign_address(ann, "carol", "help@acme.example")
    assert {a.name for a in await service.list_accounts(carol)} == {"support", "ann-mail"}

    removed = await service.remove_agent(ann, "carol")
    assert removed.grants_dropped == 1 and removed.addresses_dropped == ("help@acme.example",)
    assert not removed.agent.active
    assert await service.list_accounts(carol) == []  # the stale copy sees nothing
    with pytest.raises(UnknownAgentError, match="deactivated"):
        await resolve_agent(service.store, None, login="carol")
    assert "carol" not in {a.name for a in await service.list_agents(bob)}
    assert {a.name: a.active for a in await service.list_agents(ann)}["carol"] is False
    with pytest.raises(ConflictError, match="deactivated already"):
        await service.remove_agent(ann, "carol")

    back = await service.add_agent(ann, AgentSpec("carol", os_user="carol2",
                                                  display_name="Carol C"))
    assert back.reactivated and back.agent.id == carol.id
    again = await agents.by_id(service.store.reader, carol.id)
    assert again is not None and (again.active, again.os_user, again.display_name) == (
        True, "carol2", "Carol C")
    # The grant stayed withdrawn: coming back is a fresh start.
    assert {a.name for a in await service.list_accounts(again)} == {"support"}
    assert [r["name"] for r in await audit_rows(service, "agent.reactivate")] == ["carol"]


async def test_an_agent_with_personal_accounts_is_removed_only_on_request(team) -> None:
    service, t = team
    ann = t.agents["ann"]
    with pytest.raises(ConflictError) as info:
        await service.remove_agent(ann, "bob")
    assert "bob-mail" in str(info.value) and "--disable-accounts" in str(info.value)
    bob = await agents.by_name(service.store.reader, "bob")
    assert bob is not None and bob.active
    assert await service.list_accounts(bob)  # the grants are untouched

    removed = await service.remove_agent(ann, "bob", disable_accounts=True)
    assert removed.accounts_disabled == ("bob-mail",) and removed.grants_dropped == 1
    enabled = await service.store.reader.scalar(
        "SELECT enabled FROM accounts WHERE name = 'bob-mail'")
    assert enabled == 0
    assert await service.store.reader.scalar(
        "SELECT count(*) FROM accounts WHERE name = 'bob-mail'") == 1


async def test_addresses_have_one_holder(team) -> None:
    service, t = team
    ann, bob, carol = t.agents["ann"], t.agents["bob"], t.agents["carol"]
    assigned = await service.assign_address(ann, "bob", " Sales-Bob@acme.example ")
    assert (assigned.address, assigned.agent, assigned.assigned_by) == (
        "Sales-Bob@acme.example", "bob", "ann")
    assert await agents.owns_address(service.store.reader, bob.id, "sales-bob@acme.example")
    with pytest.raises(ConflictError, match="assigned to agent 'bob'"):
        await service.assign_address(ann, "carol", "SALES-BOB@acme.example")
    with pytest.raises(AccessDeniedError):
        await service.assign_address(bob, "bob", "more@acme.example")
    with pytest.raises(InvalidInputError):
        await service.assign_address(ann, "bob", "not an address")
    with pytest.raises(NotFoundError):
        await service.assign_address(ann, "nobody", "x@acme.example")

    assert [a.address for a in await service.agent_addresses(bob)] == [
        "Sales-Bob@acme.example"]
    assert await service.agent_addresses(carol) == []
    with pytest.raises(AccessDeniedError):
        await service.agent_addresses(carol, "bob")
    assert [a.agent for a in await service.agent_addresses(ann)] == ["bob"]

    with pytest.raises(NotFoundError, match="not assigned to 'carol'"):
        await service.unassign_address(ann, "carol", "sales-bob@acme.example")
    await service.unassign_address(ann, "bob", "sales-bob@acme.example")
    assert not await agents.owns_address(service.store.reader, bob.id,
                                         "sales-bob@acme.example")
    # One row for each refusal, whichever layer wrote it.
    assert [r["what"] for r in await refused(service)] == [
        "agent.address.add", "assign_address", "agent.address.add", "assign_address",
        "agent_addresses", "unassign_address"]
    assert len(await audit_rows(service, "agent.address.add")) == 1
    assert len(await audit_rows(service, "agent.address.remove")) == 1


async def test_gateways_are_for_admins(team) -> None:
    service, t = team
    ann, bob = t.agents["ann"], t.agents["bob"]
    with pytest.raises(AccessDeniedError):
        await service.add_gateway(bob, "helpdesk")
    with pytest.raises(AccessDeniedError):
        await service.list_gateways(bob)
    with pytest.raises(InvalidInputError):
        await service.add_gateway(ann, "help desk")
    gateway = await service.add_gateway(ann, "helpdesk")
    assert (gateway.os_user, gateway.added_by) == ("helpdesk", "ann")
    await service.add_gateway(ann, "helpdesk")  # once is enough: no second row
    assert [g.os_user for g in await service.list_gateways(ann)] == ["helpdesk"]
    assert len(await audit_rows(service, "gateway.add")) == 1
    await service.remove_gateway(ann, "helpdesk")
    with pytest.raises(NotFoundError, match="not a gateway"):
        await service.remove_gateway(ann, "helpdesk")
    assert await service.list_gateways(ann) == []
    assert [r["what"] for r in await refused(service)] == [
        "add_gateway", "list_gateways", "gateway.add", "remove_gateway"]


async def test_authorized_keys_line_survives_a_hostile_comment(tmp_path: Path) -> None:
    folder = tmp_path / 'the "odd" store $(x)'
    folder.mkdir()
    service = await LocalService.open(folder / "s.db")
    try:
        t = await build_team(service.store)
        hostile = 'evil" ,command="/bin/sh" \x1b]52;c;x\x07 \u202e'
        line = await service.authorized_keys_line(t.agents["ann"], "carol",
                                                  ed25519_key(hostile), PROGRAM)
        assert "\n" not in line and "\x1b" not in line and "\u202e" not in line
        command, rest = sshd_command(line)
        assert shlex.split(command) == [PROGRAM, "--db", str(folder / "s.db"),
                                        "--agent", "carol"]
        key_type, data, comment = rest
        assert key_type == "ssh-ed25519" and comment.startswith('evil" ,command=')
        assert parse_public_key(ed25519_key()).data == data
        [row] = await audit_rows(service, "agent.authorized_key")
        assert row["fingerprint"].startswith("SHA256:") and row["name"] == "carol"
        if shutil.which("ssh-keygen"):  # OpenSSH's own parser reads the line too
            assert row["fingerprint"] in ssh_keygen_fingerprint(line, tmp_path)
    finally:
        await service.close()


@pytest.mark.parametrize(("text", "reason"), [
    (ed25519_key("a\nb"), "exactly one"),
    (ed25519_key() + ed25519_key("second"), "exactly one"),
    ("", "exactly one"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n",
     "private key"),
    ("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----\n", "RFC 4716"),
    ('command="/bin/sh" ' + ed25519_key(), "not accepted"),
    ("ssh-dss AAAAB3NzaC1kc3M= old", "not accepted"),
    (ed25519_key().replace("ssh-ed25519 ", "ssh-rsa ", 1), "not a ssh-rsa key"),
    ("ssh-ed25519 not*base64 x", "not base64"),
    ("ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519").decode(),
     "not a ssh-ed25519"),
    ("ssh-ed25519 AAAA" * 2000, "too large"),
])
async def test_bad_key_files_are_refused(team, text: str, reason: str) -> None:
    service, t = team
    with pytest.raises(InvalidInputError, match=reason):
        await service.authorized_keys_line(t.agents["ann"], "carol", text, PROGRAM)
    [row] = await refused(service)
    assert row["what"] == "agent.authorized_key"
    assert await audit_rows(service, "agent.authorized_key") == []


async def test_authorized_keys_needs_an_admin_an_agent_and_clean_paths(team) -> None:
    service, t = team
    with pytest.raises(AccessDeniedError):
        await service.authorized_keys_line(t.agents["bob"], "bob", ed25519_key(), PROGRAM)
    with pytest.raises(NotFoundError):
        await service.authorized_keys_line(t.agents["ann"], "zed", ed25519_key(), PROGRAM)
    with pytest.raises(InvalidInputError, match="absolute"):
        await service.authorized_keys_line(t.agents["ann"], "bob", ed25519_key(), "frontdesk")
    with pytest.raises(InvalidInputError, match="control character"):
        forced_command(PROGRAM, "/srv/desk\nevil/s.db", "bob")
    with pytest.raises(FrontdeskError):
        forced_command("/opt/front\x1bdesk", "/srv/s.db", "bob")


async def test_refusals_are_audited_after_the_rollback(team) -> None:
    """The refusal's row is written even though the refused change rolled back."""
    service, t = team
    with pytest.raises(ConflictError):
        await agent_admin.remove_agent(service.store, t.agents["ann"].id, "bob")
    [row] = await audit_rows(service, "agent.refused")
    assert row == {"agent_id": t.agents["ann"].id, "target_id": None,
                   "attempted": "agent.remove", "target": "bob", "reason": row["reason"]}
    assert await audit_rows(service, "agent.remove") == []
