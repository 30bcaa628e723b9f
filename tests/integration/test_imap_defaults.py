"""The admin's IMAP defaults against the real Dovecot: a personal account added without a
server reaches the defaults' one, in `account test` and in sync, and follows a change of
the defaults made after it was added."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.accounts import AccountSpec
from engine.errors import ImapConnectError
from engine.models import ImapDefaultsChange
from engine.service import LocalService
from storage import agents
from tests.integration.sync_support import Item, mail
from tests.servers.dovecot import DovecotServer, free_ports

pytestmark = pytest.mark.integration
USER = "bob@example.com"


@pytest.fixture
def server(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(USER)
    return dovecot


async def test_an_account_without_a_server_uses_the_defaults_at_run_time(
    server: DovecotServer, tmp_path: Path
) -> None:
    server.append_messages(USER, [Item(mail("Through the defaults"))])
    service = await LocalService.open(tmp_path / "d.db")
    try:
        admin = await service.login("admin")
        async with service.store.transaction() as db:
            bob = await agents.insert(db, name="bob", os_user=None, role="agent", email=USER)
        await service.set_imap_defaults(admin, ImapDefaultsChange(
            host=server.host, port=server.ssl_port, security="ssl",
            ca_file=str(server.cafile)))
        await service.add_account(bob, AccountSpec(name="bob", email=USER),
                                  server.users[USER])

        report = await service.test_account(bob, "bob")
        assert (report.host, report.port, report.security) == \
            (server.host, server.ssl_port, "ssl")
        [result] = await service.sync(bob)
        assert result.error is None, result.error
        [row] = await service.list_by_spec(bob, "bob:INBOX", limit=10)
        assert row.subject == "Through the defaults"

        [closed] = free_ports(1)
        await service.set_imap_defaults(admin, ImapDefaultsChange(port=closed))
        with pytest.raises(ImapConnectError):
            await service.test_account(bob, "bob")

        await service.set_imap_defaults(admin, ImapDefaultsChange(
            port=server.port, security="starttls"))
        report = await service.test_account(bob, "bob")
        assert (report.port, report.security) == (server.port, "starttls")
    finally:
        await service.close()
