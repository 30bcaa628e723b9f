"""The Service facade: the only way the console and the CLI reach mail and settings.

Every method takes the acting agent and filters what it returns by the accounts that
agent may see (engine.access); an action on mail also needs the right to act on its
account (engine.access.require_act), and every refusal is audited (engine.refusals). The
console talks to the `Service` protocol, so the in-process engine here and a socket
client to `frontdesk serve` are interchangeable.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from engine import (
    account_admin,
    account_sharing,
    agent_admin,
    audit_log,
    blocking,
    case_changes,
    cases,
    customers,
    imap_defaults,
    leads,
    message_actions,
    message_restore,
    templates,
)
from engine.access import manageable_account, managed_accounts, require_act, visible_accounts
from engine.errors import NotFoundError, StoreOpenError
from engine.identity import resolve_agent
from engine.jobs.queue import enqueue_flags
from engine.listing import Listing
from engine.lock import EngineLock
from engine.mime import parse_body
from engine.refusals import audits_refusals
from engine.rules import admin as rules_admin
from engine.sending import drafts, outbox
from engine.sending import lookup as sending_lookup
from engine.sending.drafts_mirror import mirror_setting, set_mirror
from engine.sync.progress import Progress, ignore
from engine.sync.requests import mark_request, request_sync, watch_requests
from engine.sync.runner import sync_forever, sync_once
from storage import Db, Store, StoreError, accounts, folder_state, folders, messages, meta
from storage import jobs as jobs_sql
from storage import listing as listing_sql
from storage import outgoing as outgoing_sql
from storage import settings as settings_sql
from storage.records import AccountSettings, FolderState, MessageHeaders

if TYPE_CHECKING:
    from engine.account_edit import AccountChange
    from engine.accounts import AccountSpec
    from engine.imap.folders import ConnectionReport
    from engine.models import (
        Account,
        AccountAccess,
        AccountStanding,
        Agent,
        AgentAdded,
        AgentAddress,
        AgentRemoved,
        AgentSpec,
        AuditEntry,
        BlockEntry,
        Case,
        Conversion,
        Customer,
        Discovery,
        DiscoveryNetwork,
        DoctorReport,
        Draft,
        Folder,
        Gateway,
        ImapDefaultsChange,
        Lead,
        MessageRemoved,
        MessageSummary,
        MessageView,
        OAuthProviderChange,
        OutOfOffice,
        OutOfOfficeSpec,
        RenderedTemplate,
        Rule,
        RuleOutcome,
        RuleTest,
        SenderCard,
        Signature,
        SignInPrompt,
        SmtpChange,
        SmtpConfig,
        StoreInfo,
        Template,
        Timeline,
    )
    from engine.oauth.sign_in import SignIns
    from engine.pop3.check import Pop3Report
    from engine.sending.drafts_mirror import DraftsMirror
    from engine.status import AccountHealth
    from engine.sync.account import AccountResult
    from storage.imap_defaults import ImapDefaults
    from storage.oauth import ProviderRow

DEMO_META_KEY = "demo"
MAX_PAGE = 100_000


BODY_PENDING = "The body of this message is still being downloaded; it arrives with the sync."


def _headers_only_view(head: MessageHeaders) -> MessageView:
    """What can be shown of a message stored with headers only (a first sync under way)."""
    from engine.models import MessageView

    sender = f"{head.from_name} <{head.from_addr}>" if head.from_name else head.from_addr
    fields = (("From", sender), ("To", head.to_addrs), ("Cc", head.cc_addrs),
              ("Date", head.date), ("Subject", head.subject))
    return MessageView(
        id=head.id, account_id=head.account_id, folder_id=head.folder_id,
        thread_id=head.thread_id, subject=head.subject,
        headers=tuple((name, value) for name, value in fields if value),
        text=BODY_PENDING, html_text=None, links=(), attachments=(),
        parse_error=head.parse_error,
    )


class Service(Protocol):
    """What the console and CLI may ask of the engine."""

    async def login(self, agent_name: str | None = None) -> Agent: ...

    async def store_info(self, agent: Agent) -> StoreInfo: ...

    async def list_accounts(self, agent: Agent) -> list[Account]: ...

    async def list_folders(self, agent: Agent) -> list[Folder]: ...

    async def list_messages(
        self, agent: Agent, folder_id: int, *, offset: int = 0, limit: int = 200
    ) -> list[MessageSummary]: ...

    async def count_messages(self, agent: Agent, folder_id: int) -> int: ...

    async def open_message(self, agent: Agent, message_id: int) -> MessageView: ...

    async def list_by_spec(
        self, agent: Agent, spec: str, *, offset: int = 0, limit: int = 200
    ) -> list[MessageSummary]: ...

    async def count_listing(self, agent: Agent, listing: Listing) -> int: ...

    async def list_listing(
        self, agent: Agent, listing: Listing, *, offset: int = 0, limit: int = 200
    ) -> list[MessageSummary]: ...

    async def position_in_listing(
        self, agent: Agent, listing: Listing, message_id: int
    ) -> int | None: ...

    async def set_read(self, agent: Agent, message_id: int, seen: bool) -> None: ...

    async def set_flagged(self, agent: Agent, message_id: int, flagged: bool) -> None: ...

    async def change_marker(self) -> int: ...

    async def add_account(
        self, agent: Agent, spec: AccountSpec, password: str | None
    ) -> AccountSettings: ...

    async def account_settings(self, agent: Agent) -> list[AccountSettings]: ...

    async def managed_accounts(self, agent: Agent) -> list[AccountSettings]: ...

    async def remove_account(self, agent: Agent, name: str) -> None: ...

    async def set_account_password(self, agent: Agent, name: str, password: str) -> None: ...

    async def test_account(
        self, agent: Agent, name: str
    ) -> ConnectionReport | Pop3Report: ...

    async def discover_account(self, agent: Agent, address: str, *,
                               network: DiscoveryNetwork | None = None) -> Discovery: ...

    async def change_account(
        self, agent: Agent, name: str, change: AccountChange
    ) -> AccountSettings: ...

    async def account_folders(
        self, agent: Agent, name: str, *, refresh: bool = True
    ) -> list[FolderState]: ...

    async def configure_folders(
        self, agent: Agent, name: str, *, sync: list[str] | None = None,
        roles: dict[str, str | None] | None = None,
    ) -> list[FolderState]: ...

    async def sync(
        self, agent: Agent, *, account: str | None = None, once: bool = True,
        progress: Progress = ignore, stop: asyncio.Event | None = None,
    ) -> list[AccountResult]: ...

    async def status(self, agent: Agent, *, counts: bool = True) -> list[AccountHealth]: ...

    async def doctor(self, agent: Agent, *, account: str | None = None,
                     offline: bool = False) -> DoctorReport: ...

    async def request_sync(self, agent: Agent) -> None: ...


    # Triage: customers, blocking, conversion, cases, delete and archive. Each action
    # writes an audit-log row in the transaction that makes it.

    async def sender_of(self, agent: Agent, message_id: int) -> SenderCard: ...

    async def find_customers(
        self, agent: Agent, query: str = "", *, limit: int = 50
    ) -> list[Customer]: ...

    async def customer(self, agent: Agent, customer_id: int) -> Customer: ...

    async def add_customer(
        self, agent: Agent, *, name: str, company: str = "",
        addresses: Sequence[str] = (), notes: str = "", move: bool = False,
    ) -> Customer: ...

    async def pair_address(
        self, agent: Agent, address: str, customer_id: int, *, move: bool = False
    ) -> Customer: ...

    async def pair_sender(
        self, agent: Agent, message_id: int, customer_id: int, *, move: bool = False
    ) -> Customer: ...

    async def customer_timeline(
        self, agent: Agent, customer_id: int, *, offset: int = 0, limit: int = 200
    ) -> Timeline: ...

    async def block(
        self, agent: Agent, kind: str, value: str, *, account: str | None = None
    ) -> BlockEntry: ...

    async def block_sender(self, agent: Agent, message_id: int, kind: str) -> BlockEntry: ...

    async def unblock(self, agent: Agent, entry_id: int) -> BlockEntry: ...

    async def list_blocks(self, agent: Agent) -> list[BlockEntry]: ...

    # Rules on arrival: auto-responses, move filters, processing modes, out of office.

    async def list_rules(self, agent: Agent, account: str | None = None) -> list[Rule]: ...

    async def rule(self, agent: Agent, rule_id: int) -> Rule: ...

    async def save_rule(self, agent: Agent, rule: Rule, *, save_as: str | None = None
                        ) -> Rule: ...

    async def set_rule_active(self, agent: Agent, rule_id: int, active: bool) -> Rule: ...

    async def remove_rule(self, agent: Agent, rule_id: int) -> Rule: ...

    async def test_rule(self, agent: Agent, rule: Rule, *, last: int = 50) -> list[RuleTest]: ...

    async def run_rules(self, agent: Agent, account: str, *, last: int
                        ) -> list[RuleOutcome]: ...

    async def rule_outcomes(self, agent: Agent, message_id: int) -> list[RuleOutcome]: ...

    async def processing_mode(self, agent: Agent, account: str) -> str: ...

    async def set_processing_mode(self, agent: Agent, account: str, mode: str) -> bool: ...

    async def set_out_of_office(self, agent: Agent, spec: OutOfOfficeSpec) -> OutOfOffice: ...

    async def clear_out_of_office(self, agent: Agent, account: str | None = None) -> bool: ...

    async def list_out_of_office(self, agent: Agent) -> list[OutOfOffice]: ...

    # Saved replies (templates) and signatures.

    async def add_template(
        self, agent: Agent, name: str, body: str, *, html: bool = False
    ) -> Template: ...

    async def list_templates(self, agent: Agent) -> list[Template]: ...

    async def template(self, agent: Agent, name: str) -> Template: ...

    async def remove_template(self, agent: Agent, name: str) -> Template: ...

    async def render_template(
        self, agent: Agent, name: str, *, message_id: int | None = None,
        account: str | None = None,
    ) -> RenderedTemplate: ...

    async def set_signature(
        self, agent: Agent, body: str, *, account: str | None = None, company: bool = False
    ) -> Signature: ...

    async def clear_signature(
        self, agent: Agent, *, account: str | None = None, company: bool = False
    ) -> Signature: ...

    async def signature(self, agent: Agent, account: str) -> str: ...

    async def list_signatures(self, agent: Agent) -> list[Signature]: ...

    async def convert(self, agent: Agent, message_id: int, kind: str) -> Conversion: ...

    async def list_cases(self, agent: Agent, *, status: str | None = None) -> list[Case]: ...

    async def case(self, agent: Agent, ref: str) -> Case: ...

    async def set_case_status(self, agent: Agent, ref: str, status: str) -> Case: ...

    async def case_messages(self, agent: Agent, ref: str) -> list[MessageSummary]: ...

    async def set_case_priority(self, agent: Agent, ref: str, priority: str) -> Case: ...

    async def assign_case(self, agent: Agent, ref: str, assignee: str | None) -> Case: ...

    async def case_assignees(self, agent: Agent, ref: str) -> list[str]: ...

    async def list_leads(self, agent: Agent, *, status: str | None = None) -> list[Lead]: ...

    async def set_lead_status(self, agent: Agent, lead_id: int, status: str) -> Lead: ...

    async def delete_message(
        self, agent: Agent, message_id: int, *, seen_in: int | None = None
    ) -> MessageRemoved: ...

    async def archive_message(
        self, agent: Agent, message_id: int, *, seen_in: int | None = None
    ) -> MessageRemoved: ...

    async def restore_message(self, agent: Agent, message_id: int) -> MessageRemoved: ...

    async def start_draft(self, agent: Agent, kind: str, *, message_id: int | None = None,
                          account: str | None = None) -> Draft: ...

    async def save_draft(self, agent: Agent, draft_id: int, *, to: str, cc: str, bcc: str,
                         subject: str, body: str, account: str | None = None,
                         html_body: str | None = None) -> Draft: ...

    async def attach_file(self, agent: Agent, draft_id: int, path: str) -> Draft: ...

    async def detach_file(self, agent: Agent, draft_id: int, index: int) -> Draft: ...

    async def draft(self, agent: Agent, draft_id: int) -> Draft: ...

    async def list_drafts(self, agent: Agent) -> list[Draft]: ...

    async def outbox(self, agent: Agent) -> list[Draft]: ...

    async def discard_draft(self, agent: Agent, draft_id: int) -> None: ...

    async def send_draft(self, agent: Agent, draft_id: int) -> Draft: ...

    async def reopen_draft(self, agent: Agent, draft_id: int) -> Draft: ...

    async def address_suggestions(self, agent: Agent, text: str, *,
                                  limit: int = 10) -> list[str]: ...

    async def configure_smtp(self, agent: Agent, name: str,
                             change: SmtpChange) -> SmtpConfig: ...

    async def configure_system_smtp(self, agent: Agent, change: SmtpChange) -> SmtpConfig: ...

    async def set_main_account(self, agent: Agent, name: str | None) -> str | None: ...

    async def test_send(self, agent: Agent, name: str, to: str) -> str: ...

    async def drafts_mirror(self, agent: Agent, name: str) -> DraftsMirror: ...

    async def set_drafts_mirror(self, agent: Agent, name: str, on: bool) -> DraftsMirror: ...

    async def smtp_config(self, agent: Agent, name: str) -> SmtpConfig: ...

    async def system_smtp(self, agent: Agent) -> SmtpConfig | None: ...

    async def main_account(self, agent: Agent) -> str | None: ...


    # Agents, their assigned addresses, and SSH gateways: admins change them; every
    # change and every refusal writes an audit-log row.

    async def add_agent(self, agent: Agent, spec: AgentSpec) -> AgentAdded: ...

    async def list_agents(self, agent: Agent) -> list[Agent]: ...

    async def remove_agent(self, agent: Agent, name: str, *,
                           disable_accounts: bool = False) -> AgentRemoved: ...

    async def set_agent_role(self, agent: Agent, name: str, role: str) -> Agent: ...

    async def add_gateway(self, agent: Agent, os_user: str) -> Gateway: ...

    async def remove_gateway(self, agent: Agent, os_user: str) -> None: ...

    async def list_gateways(self, agent: Agent) -> list[Gateway]: ...

    async def assign_address(self, agent: Agent, name: str, address: str) -> AgentAddress: ...

    async def unassign_address(self, agent: Agent, name: str, address: str) -> None: ...

    async def agent_addresses(self, agent: Agent,
                              name: str | None = None) -> list[AgentAddress]: ...

    async def authorized_keys_line(self, agent: Agent, name: str, public_key: str,
                                   program: str) -> str: ...

    async def record_refusal(self, agent: Agent, attempted: str, reason: str) -> None: ...

    async def audit_log(self, agent: Agent, *, limit: int = 100,
                        before_id: int | None = None) -> list[AuditEntry]: ...

    # Account sharing: an owner's grants, the lists of a shared account, and the IMAP
    # defaults an admin sets. Every change writes an audit-log row.

    async def grant_account(self, agent: Agent, name: str, to: str, *,
                            can_act: bool = False) -> AccountAccess: ...

    async def revoke_account(self, agent: Agent, name: str,
                             from_agent: str) -> AccountAccess: ...

    async def share_account(self, agent: Agent, name: str, *,
                            agent_names: Sequence[str] | None = None,
                            roles: Sequence[str] | None = None,
                            can_act: bool = True) -> AccountAccess: ...

    async def account_access(self, agent: Agent, name: str) -> AccountAccess: ...

    async def account_standing(self, agent: Agent) -> list[AccountStanding]: ...

    async def get_imap_defaults(self, agent: Agent) -> ImapDefaults: ...

    async def set_imap_defaults(self, agent: Agent,
                                change: ImapDefaultsChange) -> ImapDefaults: ...

    async def oauth_providers(self, agent: Agent) -> list[ProviderRow]: ...

    async def set_oauth_provider(self, agent: Agent,
                                 change: OAuthProviderChange) -> ProviderRow: ...

    async def remove_oauth_provider(self, agent: Agent, provider: str) -> None: ...

    async def begin_sign_in(self, agent: Agent, name: str) -> SignInPrompt: ...

    async def finish_sign_in(self, agent: Agent, prompt_id: str) -> AccountSettings: ...

    async def paste_sign_in(self, agent: Agent, prompt_id: str, address: str) -> None: ...

    async def cancel_sign_in(self, agent: Agent, prompt_id: str) -> None: ...

    async def close(self) -> None: ...


@audits_refusals
class LocalService:
    """The engine running in this process, on a store it opened. Each method's refusals
    (access denied, or not found) are written to the audit log (engine.refusals)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._sign_in_flows: SignIns | None = None

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> LocalService:
        """Open the store at `path` (created and migrated as needed)."""
        try:
            store = await Store.open(Path(path))
        except StoreError as exc:
            raise StoreOpenError(str(exc)) from exc
        return cls(store)

    async def close(self) -> None:
        if self._sign_in_flows is not None:
            self._sign_in_flows.cancel_all()
        await self.store.close()

    @property
    def _sign_ins(self) -> SignIns:
        """The OAuth2 sign-ins in progress, made at the first (OAuth2 loads only then)."""
        if self._sign_in_flows is None:
            from engine.oauth.sign_in import SignIns

            self._sign_in_flows = SignIns(self.store)
        return self._sign_in_flows

    async def login(self, agent_name: str | None = None) -> Agent:
        """The acting agent: the OS user, or `agent_name` when given."""
        return await resolve_agent(self.store, agent_name)

    async def store_info(self, agent: Agent) -> StoreInfo:
        from engine.models import StoreInfo

        demo = await meta.get(self.store.reader, DEMO_META_KEY)
        return StoreInfo(path=str(self.store.path), agent=agent, demo=demo is not None)

    async def list_accounts(self, agent: Agent) -> list[Account]:
        visible = await visible_accounts(self.store, agent.id)
        return await accounts.list_visible(self.store.reader, visible)

    async def list_folders(self, agent: Agent) -> list[Folder]:
        visible = await visible_accounts(self.store, agent.id)
        return await folders.list_visible(self.store.reader, visible)

    async def list_messages(
        self, agent: Agent, folder_id: int, *, offset: int = 0, limit: int = 200
    ) -> list[MessageSummary]:
        """A page of one folder, newest first (NotFoundError when the agent may not see
        the folder)."""
        await self._folder_access(agent, folder_id)
        return await self.list_listing(agent, Listing(scope=f"folder:{folder_id}"),
                                       offset=offset, limit=min(limit, 5000))

    async def count_messages(self, agent: Agent, folder_id: int) -> int:
        await self._folder_access(agent, folder_id)
        return await self.count_listing(agent, Listing(scope=f"folder:{folder_id}"))

    async def open_message(self, agent: Agent, message_id: int) -> MessageView:
        from engine.models import MessageView

        visible = await visible_accounts(self.store, agent.id)
        head = await messages.headers(self.store.reader, message_id=message_id,
                                      account_ids=visible)
        if head is None:
            raise NotFoundError(f"message {message_id} not found")
        raw = await messages.raw(self.store.reader, message_id=message_id,
                                 account_ids=visible)
        if raw is None:
            return _headers_only_view(head)
        # The full parse is CPU work on possibly large mail: keep it off the event loop.
        body = await asyncio.to_thread(parse_body, raw)
        return MessageView(
            id=head.id,
            account_id=head.account_id,
            folder_id=head.folder_id,
            thread_id=head.thread_id,
            subject=head.subject,
            headers=body.headers,
            text=body.text,
            html_text=body.html_text,
            links=body.links,
            attachments=body.attachments,
            parse_error=body.error or head.parse_error,
        )

    async def list_by_spec(
        self, agent: Agent, spec: str, *, offset: int = 0, limit: int = 200
    ) -> list[MessageSummary]:
        """Messages of `unified:ROLE` (that role's folder in every visible account),
        `ACCOUNT:FOLDER`, `folder:ID` or `all`, newest first."""
        return await self.list_listing(agent, Listing(scope=spec), offset=offset, limit=limit)

    async def count_listing(self, agent: Agent, listing: Listing) -> int:
        """How many rows a listing holds (conversations, in thread mode). Raises
        InvalidInputError for a bad scope or search, NotFoundError for an unknown folder."""
        from engine.search.scope import build_filter, visible

        found = build_filter(await visible(self.store, agent.id), listing)
        if found is None:
            return 0
        return await listing_sql.count(self.store.reader, found, threads=listing.threads)

    async def list_listing(
        self, agent: Agent, listing: Listing, *, offset: int = 0, limit: int = 200
    ) -> list[MessageSummary]:
        """A page of a listing, newest first; in thread mode one row per conversation
        (its newest matching message, with thread_count)."""
        from engine.search.scope import build_filter, visible

        found = build_filter(await visible(self.store, agent.id), listing)
        if found is None:
            return []
        return await listing_sql.page(
            self.store.reader, found, threads=listing.threads,
            offset=max(0, offset), limit=max(0, min(limit, MAX_PAGE)),
        )

    async def position_in_listing(
        self, agent: Agent, listing: Listing, message_id: int
    ) -> int | None:
        """The 0-based row of a message in a listing (in thread mode, the row of its
        conversation); None when the listing does not hold it."""
        from engine.search.scope import build_filter, visible

        found = build_filter(await visible(self.store, agent.id), listing)
        if found is None:
            return None
        return await listing_sql.position(
            self.store.reader, found, message_id=message_id, threads=listing.threads
        )

    async def set_read(self, agent: Agent, message_id: int, seen: bool) -> None:
        """Mark a message read or unread; when its account writes read status back, the
        change is queued for the server in the same transaction."""
        visible = await visible_accounts(self.store, agent.id)
        head = await self._head(message_id, visible)
        await require_act(self.store, agent.id, head.account_id,
                          missing=f"message {message_id} not found")
        account = await settings_sql.by_id(self.store.reader, head.account_id)
        folder = await folder_state.by_id(self.store.reader, head.folder_id)
        async with self.store.transaction() as db:
            await messages.set_seen(db, message_id=message_id, seen=seen, account_ids=visible)
            if account is not None and account.write_read_status:
                await _queue_flag(db, account, head, folder, "\\Seen", seen, agent)

    async def set_flagged(self, agent: Agent, message_id: int, flagged: bool) -> None:
        """Flag or unflag a message; when it is on a server (it has a UID), the change is
        queued for the server in the same transaction."""
        visible = await visible_accounts(self.store, agent.id)
        head = await self._head(message_id, visible)
        await require_act(self.store, agent.id, head.account_id,
                          missing=f"message {message_id} not found")
        account = await settings_sql.by_id(self.store.reader, head.account_id)
        folder = await folder_state.by_id(self.store.reader, head.folder_id)
        async with self.store.transaction() as db:
            await messages.set_flagged(db, message_id=message_id, flagged=flagged,
                                       account_ids=visible)
            await _queue_flag(db, account, head, folder, "\\Flagged", flagged, agent)

    async def _head(self, message_id: int, visible: frozenset[int]) -> MessageHeaders:
        head = await messages.headers(self.store.reader, message_id=message_id,
                                      account_ids=visible)
        if head is None:
            raise NotFoundError(f"message {message_id} not found")
        return head

    async def change_marker(self) -> int:
        """A number that changes whenever anything is committed to the store, by this
        process or another: poll it to refresh what is shown."""
        return await listing_sql.data_version(self.store.reader)

    async def add_account(
        self, agent: Agent, spec: AccountSpec, password: str | None
    ) -> AccountSettings:
        return await account_admin.add_account(self.store, agent.id, spec, password)

    async def account_settings(self, agent: Agent) -> list[AccountSettings]:
        return await account_admin.list_accounts(self.store, agent.id)

    async def managed_accounts(self, agent: Agent) -> list[AccountSettings]:
        """Settings of every account the agent configures: its own personal accounts and,
        for an admin, every shared one, listed on it or not (what `config export` writes
        and `config apply` compares)."""
        return await managed_accounts(self.store, agent.id)

    async def remove_account(self, agent: Agent, name: str) -> None:
        await account_admin.remove_account(self.store, agent.id, name)

    async def set_account_password(self, agent: Agent, name: str, password: str) -> None:
        await account_admin.set_password(self.store, agent.id, name, password)

    async def test_account(self, agent: Agent, name: str) -> ConnectionReport | Pop3Report:
        return await account_admin.check_account(self.store, agent.id, name)

    async def discover_account(self, agent: Agent, address: str, *,
                               network: DiscoveryNetwork | None = None) -> Discovery:
        """The servers of `address`, asked of the network (presets, MX, autoconfig, DNS
        SRV, then guessed host names); what was tried is in Discovery.tried. Reads no
        mail and no store; InvalidInputError only for a bad address or network setting."""
        # Imported here: dnspython loads only when someone asks for discovery.
        from engine.models import DiscoveryNetwork
        from engine.setup.discover import discover

        return await discover(address, network=network or DiscoveryNetwork())

    async def change_account(
        self, agent: Agent, name: str, change: AccountChange
    ) -> AccountSettings:
        from engine import account_edit

        return await account_edit.change_account(self.store, agent.id, name, change)

    async def account_folders(
        self, agent: Agent, name: str, *, refresh: bool = True
    ) -> list[FolderState]:
        return await account_admin.account_folders(self.store, agent.id, name, refresh=refresh)

    async def configure_folders(
        self, agent: Agent, name: str, *, sync: list[str] | None = None,
        roles: dict[str, str | None] | None = None,
    ) -> list[FolderState]:
        return await account_admin.configure_folders(self.store, agent.id, name, sync=sync,
                                                     roles=roles)

    async def sync(
        self, agent: Agent, *, account: str | None = None, once: bool = True,
        progress: Progress = ignore, stop: asyncio.Event | None = None,
    ) -> list[AccountResult]:
        """Sync the accounts the agent may configure (or just `account`). Holds the
        store's engine lock: a second engine is refused with who holds it. Staying up,
        each "sync now" (request_sync) also takes in accounts added or enabled since."""

        async def targets() -> list[AccountSettings]:
            if account is None:
                found = await managed_accounts(self.store, agent.id)
            else:
                found = [await manageable_account(self.store, agent.id, account)]
            return [t for t in found if t.enabled and t.imap_host]

        first = await targets()
        lock = EngineLock(self.store.path)
        await asyncio.to_thread(lock.acquire)
        try:
            async with self.store.transaction() as db:
                await jobs_sql.requeue_running(db)
            if once:
                return await sync_once(self.store, first, progress=progress)
            stop = stop or asyncio.Event()
            wake = asyncio.Event()
            watcher = asyncio.create_task(watch_requests(self.store, wake, stop),
                                          name="sync-requests")
            try:
                await sync_forever(self.store, targets, progress=progress, stop=stop, now=wake)
            finally:
                watcher.cancel()
                with contextlib.suppress(BaseException):
                    await watcher
            return []
        finally:
            lock.release()

    async def request_sync(self, agent: Agent) -> None:
        """"Sync now": the running engine, in this process or another, syncs every
        account at once (it looks for requests every second)."""
        await request_sync(self.store)

    async def status(self, agent: Agent, *, counts: bool = True) -> list[AccountHealth]:
        """Sync health of the agent's accounts; without `counts` the message counts are
        left at 0 (they read every message row: the console's status line polls this)."""
        from engine.status import account_health

        return [await account_health(self.store, a, counts=counts)
                for a in await account_admin.list_accounts(self.store, agent.id)]

    async def doctor(self, agent: Agent, *, account: str | None = None,
                     offline: bool = False) -> DoctorReport:
        """Check the installation: the database's files and contents, the key file, and
        each account the agent may configure (only `account`, when named): token, login,
        SMTP, last sync error, queued jobs; and the clock against a server's. `offline`
        skips what needs the network. Never raises for what it finds: each finding is a
        check in the report, with what to do."""
        # Imported here: the checks and what they use load only when someone asks.
        from engine.doctor.run import diagnose

        return await diagnose(self.store, agent, account=account, offline=offline)

    # Triage

    async def sender_of(self, agent: Agent, message_id: int) -> SenderCard:
        """Who sent a message, parsed for "add customer" and "block"; with the customer
        the address belongs to. NotFoundError when the agent cannot see the message."""
        return await customers.sender_of(self.store, agent, message_id)

    async def find_customers(
        self, agent: Agent, query: str = "", *, limit: int = 50
    ) -> list[Customer]:
        """Customers whose name, company or an address matches `query` (fuzzy: the
        query's characters in order), best match first; every customer by name when
        the query is empty."""
        return await customers.find(self.store, agent, query, limit=limit)

    async def customer(self, agent: Agent, customer_id: int) -> Customer:
        return await customers.get(self.store, agent, customer_id)

    async def add_customer(
        self, agent: Agent, *, name: str, company: str = "",
        addresses: Sequence[str] = (), notes: str = "", move: bool = False,
    ) -> Customer:
        """Create a customer owning `addresses`. An address paired to another customer
        raises ConflictError, unless `move` takes it from that customer."""
        return await customers.add(self.store, agent, name=name, company=company,
                                   addresses=addresses, notes=notes, move=move)

    async def pair_address(
        self, agent: Agent, address: str, customer_id: int, *, move: bool = False
    ) -> Customer:
        """Give `address` to a customer: its mail, past and future, is that customer's.
        Paired to another customer: ConflictError, unless `move`."""
        return await customers.pair(self.store, agent, address, customer_id, move=move)

    async def pair_sender(
        self, agent: Agent, message_id: int, customer_id: int, *, move: bool = False
    ) -> Customer:
        """pair_address with the sender of a message of an account the agent may act
        on."""
        return await customers.pair_sender(self.store, agent, message_id, customer_id,
                                           move=move)

    async def customer_timeline(
        self, agent: Agent, customer_id: int, *, offset: int = 0, limit: int = 200
    ) -> Timeline:
        """Every message to or from the customer in the accounts the agent may see,
        newest first, with the cases and leads the agent may see."""
        return await customers.timeline(self.store, agent, customer_id, offset=offset,
                                        limit=max(0, min(limit, MAX_PAGE)))

    async def list_rules(self, agent: Agent, account: str | None = None) -> list[Rule]:
        """The rules of the mailboxes the agent may see (of `account` only, if named)."""
        return await rules_admin.list_rules(self.store, agent, account)

    async def rule(self, agent: Agent, rule_id: int) -> Rule:
        return await rules_admin.rule(self.store, agent, rule_id)

    async def save_rule(self, agent: Agent, rule: Rule, *, save_as: str | None = None
                        ) -> Rule:
        """Add a rule (rule.id 0, in the mailbox named rule.account) or replace one."""
        return await rules_admin.save_rule(self.store, agent, rule, save_as=save_as)

    async def set_rule_active(self, agent: Agent, rule_id: int, active: bool) -> Rule:
        return await rules_admin.set_active(self.store, agent, rule_id, active)

    async def remove_rule(self, agent: Agent, rule_id: int) -> Rule:
        return await rules_admin.remove_rule(self.store, agent, rule_id)

    async def test_rule(self, agent: Agent, rule: Rule, *, last: int = 50) -> list[RuleTest]:
        """Dry run of a rule (saved or not) over the mailbox's last `last` inbox messages."""
        return await rules_admin.test_rule(self.store, agent, rule, last=last)

    async def run_rules(self, agent: Agent, account: str, *, last: int
                        ) -> list[RuleOutcome]:
        """Apply the mailbox's active rules to its last `last` inbox messages, on purpose."""
        outcomes = await rules_admin.run_rules(self.store, agent, account, last=last)
        await request_sync(self.store)
        return outcomes

    async def rule_outcomes(self, agent: Agent, message_id: int) -> list[RuleOutcome]:
        """Why?: what the rules did with a message, and why not."""
        return await rules_admin.outcomes(self.store, agent, message_id)

    async def processing_mode(self, agent: Agent, account: str) -> str:
        return await rules_admin.processing_mode(self.store, agent, account)

    async def set_processing_mode(self, agent: Agent, account: str, mode: str) -> bool:
        return await rules_admin.set_processing_mode(self.store, agent, account, mode)

    async def set_out_of_office(self, agent: Agent, spec: OutOfOfficeSpec) -> OutOfOffice:
        return await rules_admin.set_out_of_office(self.store, agent, spec)

    async def clear_out_of_office(self, agent: Agent, account: str | None = None) -> bool:
        return await rules_admin.clear_out_of_office(self.store, agent, account)

    async def list_out_of_office(self, agent: Agent) -> list[OutOfOffice]:
        return await rules_admin.list_out_of_office(self.store, agent)

    async def block(
        self, agent: Agent, kind: str, value: str, *, account: str | None = None
    ) -> BlockEntry:
        """Deny an address or a domain on one account (by name), or on every account
        (admins only). Stored mail from it is hidden; new mail is not imported."""
        return await blocking.block(self.store, agent, kind, value, account=account)

    async def block_sender(self, agent: Agent, message_id: int, kind: str) -> BlockEntry:
        """Block the sender's address, or its whole domain, on the message's account."""
        return await blocking.block_sender(self.store, agent, message_id, kind)

    async def unblock(self, agent: Agent, entry_id: int) -> BlockEntry:
        """Remove a deny-list entry: the mail it hid is shown again."""
        return await blocking.unblock(self.store, agent, entry_id)

    async def list_blocks(self, agent: Agent) -> list[BlockEntry]:
        """The deny-list entries of the accounts the agent may see, and the global ones."""
        return await blocking.entries(self.store, agent)

    async def add_template(
        self, agent: Agent, name: str, body: str, *, html: bool = False
    ) -> Template:
        """Save a reply template (Jinja2, plain or HTML) under `name`; replacing one is
        for its creator or an admin. A body that does not render is refused."""
        return await templates.add_template(self.store, agent, name, body, html=html)

    async def list_templates(self, agent: Agent) -> list[Template]:
        """The team's saved replies, by name."""
        return await templates.list_templates(self.store, agent)

    async def template(self, agent: Agent, name: str) -> Template:
        """One saved reply, with its source."""
        return await templates.get_template(self.store, agent, name)

    async def remove_template(self, agent: Agent, name: str) -> Template:
        """Remove a saved reply (its creator or an admin)."""
        return await templates.remove_template(self.store, agent, name)

    async def render_template(
        self, agent: Agent, name: str, *, message_id: int | None = None,
        account: str | None = None,
    ) -> RenderedTemplate:
        """Fill in a saved reply for the message `message_id` (its sender's customer and
        its account) and/or the account named `account`. A message or an account the
        agent may not see is NotFoundError."""
        found = await templates.reply_context(self.store, agent, message_id=message_id,
                                              account=account)
        return await templates.render_template(self.store, agent, name,
                                               account=found.account,
                                               customer=found.customer,
                                               message=found.message)

    async def set_signature(
        self, agent: Agent, body: str, *, account: str | None = None, company: bool = False
    ) -> Signature:
        """Set the agent's signature, or the company one (admins), for one account by
        name or (None) for every account."""
        return await templates.set_signature(self.store, agent, body, account=account,
                                             company=company)

    async def clear_signature(
        self, agent: Agent, *, account: str | None = None, company: bool = False
    ) -> Signature:
        """Remove a signature set with set_signature; return it."""
        return await templates.clear_signature(self.store, agent, account=account,
                                               company=company)

    async def signature(self, agent: Agent, account: str) -> str:
        """The agent's signature for replies from the account named `account`, rendered
        (personal, then company); "" when there is none."""
        return await templates.account_signature(self.store, agent, account)

    async def list_signatures(self, agent: Agent) -> list[Signature]:
        """The agent's own signatures and the company ones it may see, as written."""
        return await templates.list_signatures(self.store, agent)

    async def convert(self, agent: Agent, message_id: int, kind: str) -> Conversion:
        """Convert the message's thread to a lead or a case, built from the thread's
        first message; converting again returns what the first conversion made."""
        return await cases.convert(self.store, agent, message_id, kind)

    async def list_cases(self, agent: Agent, *, status: str | None = None) -> list[Case]:
        return await cases.list_cases(self.store, agent, status=status)

    async def case(self, agent: Agent, ref: str) -> Case:
        """A case by number ("C-000012") or id."""
        return await cases.get(self.store, agent, ref)

    async def set_case_status(self, agent: Agent, ref: str, status: str) -> Case:
        """Close, reopen or set a case pending."""
        return await case_changes.set_status(self.store, agent, ref, status)

    async def case_messages(self, agent: Agent, ref: str) -> list[MessageSummary]:
        """The messages of a case's threads that the agent may see, oldest first."""
        return await cases.case_messages(self.store, agent, ref)

    async def set_case_priority(self, agent: Agent, ref: str, priority: str) -> Case:
        """Set a case's priority: low, normal, high or urgent."""
        return await case_changes.set_priority(self.store, agent, ref, priority)

    async def assign_case(self, agent: Agent, ref: str, assignee: str | None) -> Case:
        """Give a case to an agent by name (None: to nobody). The agent must be active
        and able to see the case's mail."""
        return await case_changes.assign(self.store, agent, ref, assignee)

    async def case_assignees(self, agent: Agent, ref: str) -> list[str]:
        """The agents a case can be given to."""
        return await case_changes.assignees(self.store, agent, ref)

    async def list_leads(self, agent: Agent, *, status: str | None = None) -> list[Lead]:
        """The leads the agent may see, newest first (with one status, when given)."""
        return await leads.list_leads(self.store, agent, status=status)

    async def set_lead_status(self, agent: Agent, lead_id: int, status: str) -> Lead:
        """Move a lead along: new, contacted, qualified, lost or won."""
        return await leads.set_status(self.store, agent, lead_id, status)

    async def delete_message(
        self, agent: Agent, message_id: int, *, seen_in: int | None = None
    ) -> MessageRemoved:
        """Move a message to its account's Trash (or delete it for good when it is in
        Trash already or there is none): in the store at once, on the server through a
        durable job. `seen_in`: the folder the agent saw it in; when it is no longer
        there (another agent moved it meanwhile), GoneError and nothing changes."""
        return await message_actions.delete(self.store, agent, message_id, seen_in=seen_in)

    async def archive_message(
        self, agent: Agent, message_id: int, *, seen_in: int | None = None
    ) -> MessageRemoved:
        """Move a message to its account's Archive folder, as delete_message does."""
        return await message_actions.archive(self.store, agent, message_id, seen_in=seen_in)

    async def restore_message(self, agent: Agent, message_id: int) -> MessageRemoved:
        """Undo a delete or archive: the message goes back to the folder it was taken
        from (the inbox when that is unknown). Before the server job ran, the job is
        withdrawn; after, a move back is queued. A message deleted for good on the
        server is gone (GoneError)."""
        return await message_restore.restore(self.store, agent, message_id)

    async def start_draft(self, agent: Agent, kind: str, *, message_id: int | None = None,
                          account: str | None = None) -> Draft:
        """A new draft of `kind` (new, reply, reply_all, forward), prefilled and saved: a
        reply to `message_id` goes out from the account it came in on; new mail from
        `account`, else the agent's main account."""
        return await drafts.start(self.store, agent, kind, message_id=message_id,
                                  account=account)

    async def save_draft(self, agent: Agent, draft_id: int, *, to: str, cc: str, bcc: str,
                         subject: str, body: str, account: str | None = None,
                         html_body: str | None = None) -> Draft:
        """Save what the agent wrote (addresses as typed, comma-separated); html_body:
        an HTML alternative, None for plain mail."""
        return await drafts.save(self.store, agent, draft_id, to=to, cc=cc, bcc=bcc,
                                 subject=subject, body=body, account=account,
                                 html_body=html_body)

    async def attach_file(self, agent: Agent, draft_id: int, path: str) -> Draft:
        return await drafts.attach(self.store, agent, draft_id, path)

    async def detach_file(self, agent: Agent, draft_id: int, index: int) -> Draft:
        return await drafts.detach(self.store, agent, draft_id, index)

    async def draft(self, agent: Agent, draft_id: int) -> Draft:
        return await drafts.get(self.store, agent, draft_id)

    async def list_drafts(self, agent: Agent) -> list[Draft]:
        """The agent's unsent drafts, newest first (offered when the console opens)."""
        return await drafts.list_mine(self.store, agent)

    async def outbox(self, agent: Agent) -> list[Draft]:
        """What the agent sent or is sending, newest first, with any error."""
        return await drafts.list_mine(self.store, agent, outbox=True)

    async def discard_draft(self, agent: Agent, draft_id: int) -> None:
        await drafts.discard(self.store, agent, draft_id)

    async def send_draft(self, agent: Agent, draft_id: int) -> Draft:
        """Queue a draft in the outbox: durable at once, sent by the engine."""
        return await outbox.send(self.store, agent, draft_id)

    async def reopen_draft(self, agent: Agent, draft_id: int) -> Draft:
        """A message that failed to send becomes a draft again."""
        return await outbox.reopen(self.store, agent, draft_id)

    async def address_suggestions(self, agent: Agent, text: str, *,
                                  limit: int = 10) -> list[str]:
        """Addresses for a To/Cc field: customers, then recent correspondents."""
        if not text.strip():
            return []
        visible = await visible_accounts(self.store, agent.id)
        found = await outgoing_sql.address_suggestions(
            self.store.reader, text=text, account_ids=visible, limit=limit)
        from engine.compose import format_mailbox

        return [format_mailbox(name, addr) for name, addr in found]

    async def configure_smtp(self, agent: Agent, name: str,
                             change: SmtpChange) -> SmtpConfig:
        """Set how an account sends (its own server, or the system SMTP)."""
        from engine.sending import config as sending_config

        return await sending_config.configure_account(self.store, agent, name, change)

    async def configure_system_smtp(self, agent: Agent, change: SmtpChange) -> SmtpConfig:
        """Set the system SMTP (admins only)."""
        from engine.sending import config as sending_config

        return await sending_config.configure_system(self.store, agent, change)

    async def set_main_account(self, agent: Agent, name: str | None) -> str | None:
        """The account the agent's new mail goes out from."""
        from engine.sending import config as sending_config

        return await sending_config.set_main_account(self.store, agent, name)

    async def test_send(self, agent: Agent, name: str, to: str) -> str:
        """Send a test message from an account now; its Message-ID."""
        from engine.sending import test_send

        return await test_send.test_send(self.store, agent, name, to)

    async def drafts_mirror(self, agent: Agent, name: str) -> DraftsMirror:
        """Whether the drafts of an account are mirrored to its Drafts folder."""
        return await mirror_setting(self.store, agent, name)

    async def set_drafts_mirror(self, agent: Agent, name: str, on: bool) -> DraftsMirror:
        """Mirror the agent's drafts to its own personal account's Drafts folder on the
        server, or stop (their copies there are taken out). Shared accounts never
        mirror."""
        return await set_mirror(self.store, agent, name, on)

    async def smtp_config(self, agent: Agent, name: str) -> SmtpConfig:
        """How an account sends now (no password), for whoever configures it."""
        return await sending_lookup.account_smtp(self.store, agent, name)

    async def system_smtp(self, agent: Agent) -> SmtpConfig | None:
        """The system SMTP (no password), None when unset; admins only."""
        return await sending_lookup.system_smtp(self.store, agent)

    async def main_account(self, agent: Agent) -> str | None:
        """The account the agent's new mail goes out from, None when none is chosen."""
        return await sending_lookup.main_account(self.store, agent)


    async def add_agent(self, agent: Agent, spec: AgentSpec) -> AgentAdded:
        """Add an agent, or bring back a deactivated one of that name (admins)."""
        return await agent_admin.add_agent(self.store, agent.id, spec)

    async def list_agents(self, agent: Agent) -> list[Agent]:
        """The active agents; for an admin, deactivated ones too."""
        return await agent_admin.list_agents(self.store, agent.id)

    async def remove_agent(self, agent: Agent, name: str, *,
                           disable_accounts: bool = False) -> AgentRemoved:
        """Deactivate an agent, keeping its history (admins); see agent_admin."""
        return await agent_admin.remove_agent(self.store, agent.id, name,
                                              disable_accounts=disable_accounts)

    async def set_agent_role(self, agent: Agent, name: str, role: str) -> Agent:
        """Make an agent `admin` or `agent` (admins); the last admin stays one."""
        return await agent_admin.set_role(self.store, agent.id, name, role)

    async def add_gateway(self, agent: Agent, os_user: str) -> Gateway:
        """Let an OS user name the acting agent with --agent (admins)."""
        return await agent_admin.add_gateway(self.store, agent.id, os_user)

    async def remove_gateway(self, agent: Agent, os_user: str) -> None:
        await agent_admin.remove_gateway(self.store, agent.id, os_user)

    async def list_gateways(self, agent: Agent) -> list[Gateway]:
        return await agent_admin.list_gateways(self.store, agent.id)

    async def assign_address(self, agent: Agent, name: str, address: str) -> AgentAddress:
        """Assign an address to an agent (admins), for its personal accounts."""
        return await agent_admin.assign_address(self.store, agent.id, name, address)

    async def unassign_address(self, agent: Agent, name: str, address: str) -> None:
        await agent_admin.unassign_address(self.store, agent.id, name, address)

    async def agent_addresses(self, agent: Agent,
                              name: str | None = None) -> list[AgentAddress]:
        """The agent's own assigned addresses; an admin's choice of agent, or all."""
        return await agent_admin.list_addresses(self.store, agent.id, name)

    async def authorized_keys_line(self, agent: Agent, name: str, public_key: str,
                                   program: str) -> str:
        """The authorized_keys line letting `public_key` act as `name` through a
        gateway (admins). `public_key` is the key file's text; `program` the absolute
        path of frontdesk on the host the key logs in to."""
        return await agent_admin.authorized_keys_line(self.store, agent.id, name,
                                                      public_key, program)

    async def record_refusal(self, agent: Agent, attempted: str, reason: str) -> None:
        """Audit something the edge refused before asking the engine."""
        await agent_admin.record_refusal(self.store, agent.id, attempted, reason)

    async def audit_log(self, agent: Agent, *, limit: int = 100,
                        before_id: int | None = None) -> list[AuditEntry]:
        """The audit log, newest first: every row for an admin; for an agent its own rows
        and those about its accounts, their mail and the cases and leads made from it."""
        return await audit_log.entries(self.store, agent, limit=limit, before_id=before_id)

    async def grant_account(self, agent: Agent, name: str, to: str, *,
                            can_act: bool = False) -> AccountAccess:
        """Let the agent `to` read a personal account the agent owns (a shared one, for
        an admin), and with `can_act` act on its mail; granting again changes it."""
        return await account_sharing.grant(self.store, agent.id, name, to, can_act=can_act)

    async def revoke_account(self, agent: Agent, name: str,
                             from_agent: str) -> AccountAccess:
        """Take back the grant of `from_agent` on an account."""
        return await account_sharing.revoke(self.store, agent.id, name, from_agent)

    async def share_account(self, agent: Agent, name: str, *,
                            agent_names: Sequence[str] | None = None,
                            roles: Sequence[str] | None = None,
                            can_act: bool = True) -> AccountAccess:
        """Set the agents and/or roles that work a shared account (admins); members may
        act on it unless `can_act` is False."""
        return await account_sharing.share(self.store, agent.id, name,
                                           agent_names=agent_names, roles=roles,
                                           can_act=can_act)

    async def account_access(self, agent: Agent, name: str) -> AccountAccess:
        """Who sees and acts on an account: owner, agents granted, roles."""
        return await account_sharing.access_of(self.store, agent.id, name)

    async def account_standing(self, agent: Agent) -> list[AccountStanding]:
        """The accounts the agent sees, each with its owner and the agent's access."""
        return await account_sharing.standing(self.store, agent.id)

    async def get_imap_defaults(self, agent: Agent) -> ImapDefaults:
        """The IMAP defaults personal accounts fall back on."""
        return await imap_defaults.current(self.store, agent.id)

    async def set_imap_defaults(self, agent: Agent,
                                change: ImapDefaultsChange) -> ImapDefaults:
        """Change the IMAP defaults (admins); accounts that left a field empty follow."""
        return await imap_defaults.change(self.store, agent.id, change)

    async def oauth_providers(self, agent: Agent) -> list[ProviderRow]:
        """The OAuth2 client registrations (no secrets)."""
        from engine.oauth import registry as oauth_registry

        return await oauth_registry.providers(self.store, agent.id)

    async def set_oauth_provider(self, agent: Agent,
                                 change: OAuthProviderChange) -> ProviderRow:
        """Register (or change) a provider's OAuth2 client; admins."""
        from engine.oauth import registry as oauth_registry

        return await oauth_registry.set_provider(self.store, agent.id, change)

    async def remove_oauth_provider(self, agent: Agent, provider: str) -> None:
        """Remove a provider's registration; admins, once no account uses it."""
        from engine.oauth import registry as oauth_registry

        await oauth_registry.remove_provider(self.store, agent.id, provider)

    async def begin_sign_in(self, agent: Agent, name: str) -> SignInPrompt:
        """Start signing an OAuth2 account in (whoever configures the account)."""
        account = await manageable_account(self.store, agent.id, name)
        return await self._sign_ins.begin(agent.id, account)

    async def finish_sign_in(self, agent: Agent, prompt_id: str) -> AccountSettings:
        """Wait for the sign-in the agent began; the account then syncs again."""
        return await self._sign_ins.finish(agent.id, prompt_id)

    async def paste_sign_in(self, agent: Agent, prompt_id: str, address: str) -> None:
        """The address the browser ended on, for a browser sign-in being waited for."""
        self._sign_ins.paste(agent.id, prompt_id, address)

    async def cancel_sign_in(self, agent: Agent, prompt_id: str) -> None:
        """Give up a sign-in the agent began."""
        self._sign_ins.cancel(agent.id, prompt_id)

    async def _folder_access(self, agent: Agent, folder_id: int) -> frozenset[int]:
        visible = await visible_accounts(self.store, agent.id)
        owner = await folders.account_of(self.store.reader, folder_id)
        if owner is None or owner not in visible:
            raise NotFoundError(f"folder {folder_id} not found")
        return visible


async def _queue_flag(
    db: Db, account: AccountSettings | None, head: MessageHeaders, folder: FolderState | None,
    flag: str, on: bool, agent: Agent,
) -> None:
    """Queue setting or clearing `flag` on the server, in the caller's transaction, when
    the message is on an IMAP server (`account`: the message's, already loaded); the
    running engine is woken to carry it out now."""
    if account is not None and account.protocol == "pop3":
        return  # POP3 has no flags: they stay in the store
    if folder is None or head.uid is None or head.uidvalidity is None:
        return
    await enqueue_flags(
        db, account_id=head.account_id, folder=folder.name, uidvalidity=head.uidvalidity,
        uids=[head.uid], add=(flag,) if on else (), remove=() if on else (flag,),
        created_by=agent.id,
    )
    await mark_request(db)
