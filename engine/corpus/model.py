"""The values the corpus generator takes and yields: accounts, profiles and messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

FOLDERS: tuple[str, ...] = ("INBOX", "Sent", "Archive", "Junk", "Trash")


@dataclass(frozen=True)
class CorpusAccount:
    """A mailbox the corpus delivers to (INBOX...) and sends from (Sent)."""

    key: str
    name: str
    email: str
    shared: bool


@dataclass(frozen=True)
class CorpusMessage:
    """One generated message, ready to APPEND to an IMAP folder."""

    account: str
    folder: str
    raw: bytes
    flags: tuple[str, ...]
    internal_date: datetime
    message_id: str


DEFAULT_ACCOUNTS: tuple[CorpusAccount, ...] = (
    CorpusAccount(key="alex", name="Alex Morgan", email="alex@acme.example", shared=False),
    CorpusAccount(key="dana", name="Dana Reyes", email="dana@acme.example", shared=False),
    CorpusAccount(key="support", name="Support", email="support@acme.example", shared=True),
)


@dataclass(frozen=True)
class CorpusProfile:
    """How the corpus is shaped. Rates are shares of the whole corpus unless noted.

    ``attachment_rate`` is the share of customer messages carrying a small (2-40 KB)
    attachment; ``large_attachment_rate`` the share of all messages carrying one of
    ``large_attachment_kb`` KB (min, max), which is where most of the bytes go.
    """

    attachment_rate: float = 0.12
    large_attachment_rate: float = 0.05
    html_rate: float = 0.45
    auto_reply_rate: float = 0.02
    list_rate: float = 0.03
    hostile_rate: float = 0.005
    spam_rate: float = 0.02
    large_attachment_kb: tuple[int, int] = (100, 500)


DEFAULT_PROFILE = CorpusProfile()

# Large attachments dominate both the generation time and the store size, so the demo
# keeps them rare and smallish: 2,000 messages then stay in the tens of megabytes.
DEMO_PROFILE = CorpusProfile(large_attachment_rate=0.01, large_attachment_kb=(100, 200))
