"""The values that cross the Service boundary: plain, frozen, serialisable dataclasses.

Rows read from the store are already such values (storage.records); they are re-exported
here so the console imports everything it shows from the engine.

Making a frozen dataclass costs about a millisecond, so this module is not loaded by
what does not show them: the engine's modules name these types under TYPE_CHECKING and
import one where they build it, and `frontdesk sync` starts without this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.doctor.report import DoctorCheck, DoctorReport
from engine.mime import Attachment
from engine.setup.models import (
    AuthHints,
    Discovery,
    DiscoveryNetwork,
    PortProbe,
    ServerGuess,
)
from engine.setup.presets import Endpoint, ProviderPreset
from storage.audit import AuditEntry
from storage.records import (
    Account,
    AccountSettings,
    Agent,
    BlockEntry,
    Case,
    Customer,
    Draft,
    DraftAttachment,
    Folder,
    Lead,
    MessageSummary,
    SmtpConfig,
)
from storage.rules import OutOfOffice, Rule, RuleCondition, RuleOutcome
from storage.templates import Signature, Template

__all__ = [
    "Account",
    "AccountSettings",
    "Agent",
    "Attachment",
    "AuditEntry",
    "AuthHints",
    "BlockEntry",
    "Case",
    "Conversion",
    "Customer",
    "Discovery",
    "DiscoveryNetwork",
    "DoctorCheck",
    "DoctorReport",
    "Draft",
    "DraftAttachment",
    "Endpoint",
    "Folder",
    "Lead",
    "MessageRemoved",
    "MessageSummary",
    "MessageView",
    "OutOfOffice",
    "OutOfOfficeSpec",
    "PortProbe",
    "ProviderPreset",
    "RenderedTemplate",
    "Rule",
    "RuleCondition",
    "RuleOutcome",
    "RuleTest",
    "SenderCard",
    "ServerGuess",
    "Signature",
    "SmtpChange",
    "SmtpConfig",
    "StoreInfo",
    "Template",
    "Timeline",
]


@dataclass(frozen=True)
class MessageView:
    """One message opened for reading. Every string is sanitised for the terminal."""

    id: int
    account_id: int
    folder_id: int
    thread_id: int | None
    subject: str
    headers: tuple[tuple[str, str], ...]
    text: str
    html_text: str | None
    links: tuple[str, ...]
    attachments: tuple[Attachment, ...]
    parse_error: str | None


@dataclass(frozen=True)
class StoreInfo:
    """What the console shows about the open store."""

    path: str
    agent: Agent
    demo: bool


@dataclass(frozen=True)
class SenderCard:
    """The sender of a message, as the triage actions need it: the display name parsed
    into a customer name, the address and its domain, and the customer it belongs to."""

    message_id: int
    account_id: int
    name: str  # from the display name; the address's local part when there is none
    address: str  # lower-cased; "" when the message has no usable sender
    domain: str
    customer: Customer | None


@dataclass(frozen=True)
class Conversion:
    """What converting a thread made, or found already made (created False)."""

    kind: str  # lead | case
    id: int
    label: str  # the case number, or the lead's name
    created: bool


@dataclass(frozen=True)
class Timeline:
    """A customer's mail across the accounts the agent may see, newest first, with the
    cases and leads the agent may see."""

    customer: Customer
    messages: tuple[MessageSummary, ...]
    total: int  # how many messages in all (messages holds one page)
    cases: tuple[Case, ...]
    leads: tuple[Lead, ...]


@dataclass(frozen=True)
class MessageRemoved:
    """What became of a message: moved to `folder` (its name), or, with folder None,
    deleted for good. `job_id` is the queued server job (None: not on a server)."""

    message_id: int
    folder: str | None
    job_id: int | None


@dataclass(frozen=True)
class SmtpChange:
    """What `frontdesk account smtp` asks for. password: a new one to store; None keeps
    the stored one (or none, with password_command or no_auth)."""

    host: str | None = None
    port: int | None = None
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never shown
    password_command: str | None = None
    no_auth: bool = False
    ca_file: str | None = None
    verify_cert: bool = True
    reply_to: str = ""
    use_system: bool = False
    server_saves_sent: bool = False


@dataclass(frozen=True)
class RenderedTemplate:
    """A saved reply filled in. `html` is set for an HTML template; `text` is always set
    (for an HTML template, its text version), so a plain part always exists."""

    text: str
    html: str | None


@dataclass(frozen=True)
class AgentSpec:
    """What `frontdesk agent add` asks for. os_user None means the agent's name; with
    no_os_user the agent has no OS user and acts only through a gateway's --agent."""

    name: str
    os_user: str | None = None
    no_os_user: bool = False
    display_name: str = ""
    email: str = ""
    role: str = "agent"


@dataclass(frozen=True)
class AgentAdded:
    """The agent as added; reactivated: the name belonged to a deactivated agent, whose
    row (and history) was brought back."""

    agent: Agent
    reactivated: bool


@dataclass(frozen=True)
class AgentRemoved:
    """What removing an agent did: it is deactivated, its grants and assigned addresses
    are gone, and the personal accounts it owned no longer sync."""

    agent: Agent
    grants_dropped: int
    addresses_dropped: tuple[str, ...]
    accounts_disabled: tuple[str, ...]


@dataclass(frozen=True)
class AgentAddress:
    """An address an admin assigned to an agent."""

    address: str
    agent: str
    assigned_by: str | None  # None: that agent is gone
    created_at: str


@dataclass(frozen=True)
class Gateway:
    """An OS user that may name the acting agent with --agent."""

    os_user: str
    added_by: str | None
    created_at: str


@dataclass(frozen=True)
class AccessEntry:
    """One line of who may use an account. kind: owner (a personal account's agent),
    agent (named on it) or role (every agent of that role, on a shared account);
    access: owner, act (read and act on its mail) or read."""

    who: str
    kind: str
    access: str
    granted_by: str | None = None  # None: the owner, or a granting agent that is gone
    granted_at: str | None = None


@dataclass(frozen=True)
class AccountAccess:
    """Who sees and acts on one account."""

    account: str
    kind: str  # personal | shared
    label: str
    email: str
    owner: str | None  # a personal account's agent; None for a shared one
    entries: tuple[AccessEntry, ...]


@dataclass(frozen=True)
class AccountStanding:
    """An account the agent sees, its owner, and what the agent may do with it: owner,
    act or read."""

    name: str
    kind: str
    owner: str | None
    access: str


@dataclass(frozen=True)
class ImapDefaultsChange:
    """What `frontdesk imap defaults` asks for: None leaves a field as it is, "" (host,
    ca_file) empties it; clear empties every field before the others are set."""

    host: str | None = None
    port: int | None = None
    security: str | None = None
    ca_file: str | None = None
    check_every_minutes: int | None = None
    clear: bool = False


@dataclass(frozen=True)
class OAuthProviderChange:
    """What `frontdesk oauth set PROVIDER` asks for. `client_secret`: None keeps the one
    stored, "" removes it."""

    provider: str
    client_id: str
    tenant: str | None = None
    authority: str | None = None
    auth_uri: str | None = None
    token_uri: str | None = None
    ca_file: str | None = None
    client_secret: str | None = None


@dataclass(frozen=True)
class SignInPrompt:
    """What the person signing an account in must do. `kind` "device": open `url` and
    type `code`; "browser": open `url`, sign in, and paste back the address the browser
    ends on (or let it reach `redirect_uri` on this machine, through `ssh -L`)."""

    id: str
    account: str
    provider: str
    kind: str  # "device" | "browser"
    url: str
    code: str | None
    message: str
    redirect_uri: str | None
    expires_at: str | None  # UTC ISO


@dataclass(frozen=True)
class RuleTest:
    """A dry run's verdict on one stored message: whether the rule matched, whether it
    would fire and why (not), and the response it would send."""

    message_id: int
    date: str
    from_addr: str
    subject: str
    matched: bool
    fired: bool
    detail: str
    response_to: str = ""
    response_subject: str = ""
    response_text: str = ""


@dataclass(frozen=True)
class OutOfOfficeSpec:
    """An out of office to set: the agent's own (account None) or a mailbox's."""

    starts: str  # ISO 8601 date or date-time; UTC when no offset is given
    ends: str
    body: str = ""
    subject: str = ""
    html: bool = False
    template: str = ""  # a saved template's name, used instead of body
    account: str | None = None
