"""Which remote folder plays which part (inbox, sent, drafts, trash, spam, archive).

Pure logic over a LIST result, so every server's quirks can be pinned by unit tests.
Evidence is ranked: SPECIAL-USE flags (RFC 6154) name a folder's purpose outright; then
the INBOX, which IMAP guarantees; then well-known names, English and localized, as the
common clients and servers create them. Every role goes to at most one folder and every
folder plays at most one role.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ROLES = ("inbox", "sent", "drafts", "trash", "spam", "archive")

# RFC 6154 attributes plus the XLIST ones Gmail used before SPECIAL-USE (\Spam, \AllMail,
# \Inbox), which some proxies and old servers still send.
_SPECIAL_USE: dict[str, str] = {
    "\\inbox": "inbox",
    "\\sent": "sent",
    "\\drafts": "drafts",
    "\\trash": "trash",
    "\\junk": "spam",
    "\\spam": "spam",
    "\\archive": "archive",
}
# Gmail's "All Mail" holds every message, the INBOX included: treating it as the archive
# would file everything twice, so it is used only when the account has nothing better.
_ALL_MAIL_FLAGS = frozenset({"\\all", "\\allmail"})
_NOT_SELECTABLE = frozenset({"\\noselect", "\\nonexistent"})

# Matched against the last path component (and the full name), case-insensitively.
# fmt: off
_NAMES: dict[str, tuple[str, ...]] = {
    "sent": (
        "Sent", "Sent Items", "Sent Messages", "Sent Mail", "Sent Objects", "Sent-Mail",
        "Gesendet", "Gesendete Elemente", "Gesendete Objekte",
        "Gesendete Nachrichten", "Envoyés", "Éléments envoyés", "Messages envoyés",
        "Enviados", "Elementos enviados", "Posta inviata", "Inviati",
        "Verzonden", "Verzonden items", "Skickat", "Skickade objekt", "Sendt", "Sendte elementer",
        "Lähetetyt", "Wysłane", "Odeslaná pošta", "Отправленные", "送信済み",
    ),
    "drafts": (
        "Drafts", "Draft", "Entwürfe", "Brouillons", "Borradores", "Bozze", "Concepten",
        "Utkast", "Kladder", "Luonnokset", "Kopie robocze", "Koncepty", "Черновики", "下書き",
    ),
    "trash": (
        "Trash", "Deleted Items", "Deleted Messages", "Deleted", "Bin", "Papierkorb",
        "Gelöschte Elemente", "Gelöschte Objekte", "Corbeille", "Éléments supprimés",
        "Papelera", "Elementos eliminados", "Cestino", "Posta eliminata", "Prullenbak",
        "Verwijderde items", "Papperskorgen", "Borttaget", "Slettet", "Slettede elementer",
        "Roskakori", "Kosz", "Koš", "Корзина", "Удаленные", "ゴミ箱",
    ),
    "spam": (
        "Junk", "Spam", "Junk E-mail", "Junk Email", "Junk Mail", "Junk-E-Mail", "Bulk Mail",
        "Courrier indésirable", "Indésirables", "Correo no deseado",
        "Posta indesiderata", "Ongewenste e-mail", "Skräppost", "Uønsket e-post",
        "Roskaposti", "Nevyžádaná pošta", "Спам", "迷惑メール",
    ),
    "archive": (
        "Archive", "Archives", "Archiv", "Archivio", "Archivo", "Archief", "Arkiv",
        "Archiwum", "Архив", "アーカイブ",
    ),
}
# fmt: on
# Full names that only mean something as a whole (Gmail keeps its system folders under
# "[Gmail]/", or "[Google Mail]/" in Germany and the UK).
_FULL_NAMES: dict[str, tuple[str, ...]] = {
    "sent": ("[Gmail]/Sent Mail", "[Google Mail]/Sent Mail"),
    "drafts": ("[Gmail]/Drafts", "[Google Mail]/Drafts"),
    "trash": ("[Gmail]/Trash", "[Gmail]/Bin", "[Google Mail]/Trash", "[Google Mail]/Bin"),
    "spam": ("[Gmail]/Spam", "[Google Mail]/Spam"),
}
_ALL_MAIL_NAMES = ("[Gmail]/All Mail", "[Google Mail]/All Mail")


def _key(text: str) -> str:
    # Servers differ in Unicode normalization ("Entwürfe" arrives NFC or NFD).
    return unicodedata.normalize("NFC", text).casefold().strip()


def _keys(names: Iterable[str]) -> frozenset[str]:
    return frozenset(_key(n) for n in names)


_NAME_KEYS = {role: _keys(names) for role, names in _NAMES.items()}
_FULL_NAME_KEYS = {role: _keys(names) for role, names in _FULL_NAMES.items()}
_ALL_MAIL_KEYS = _keys(_ALL_MAIL_NAMES)


@dataclass(frozen=True)
class RemoteFolder:
    """One folder as the server lists it, with the role this account gives it."""

    name: str  # decoded folder name as the server lists it (imapclient decodes modified UTF-7)
    delimiter: str | None
    flags: tuple[str, ...]  # e.g. ("\\HasNoChildren", "\\Sent")
    role: str | None  # one of ROLES, or None
    selectable: bool  # False for \Noselect / \NonExistent
    shared: bool = False  # in another user's or a shared namespace (e.g. "shared/...")


@dataclass
class _Candidate:
    index: int
    name: str
    delimiter: str | None
    flags: tuple[str, ...]
    lowered_flags: frozenset[str]
    selectable: bool
    shared: bool

    @property
    def parts(self) -> list[str]:
        return self.name.split(self.delimiter) if self.delimiter else [self.name]

    @property
    def depth(self) -> int:
        return len(self.parts)

    @property
    def last(self) -> str:
        return _key(self.parts[-1])

    @property
    def full(self) -> str:
        return _key(self.name)


def _in_namespace(name: str, delimiter: str | None, prefixes: Sequence[str]) -> bool:
    for prefix in prefixes:
        if not prefix:
            continue  # an empty prefix would claim every folder
        if name.startswith(prefix):
            return True
        # The prefix's own node ("shared" for "shared/") is listed as a folder too.
        bare = prefix[: -len(delimiter)] if delimiter and prefix.endswith(delimiter) else prefix
        if name == bare:
            return True
    return False


def assign_roles(
    folders: Sequence[tuple[str, str | None, Sequence[str]]],
    *,
    shared_prefixes: Sequence[str] = (),
) -> list[RemoteFolder]:
    """Give each role to at most one selectable folder; return the folders in listed order.

    *folders* are ``(name, delimiter, flags)`` as LIST returns them (flags as text).
    Folders whose name starts with one of *shared_prefixes* (the NAMESPACE "other users"
    and "shared" prefixes) belong to someone else: they get a role only by SPECIAL-USE,
    and only when the account's own folders have none for it.

    Order of evidence: the own folder named INBOX for the inbox; SPECIAL-USE flags on own
    folders (listed order); well-known names on own folders (shallowest, then listed
    order); SPECIAL-USE flags on shared folders; for the archive, Gmail's All Mail (\\All
    flag, then its name) only as a last resort. Non-selectable folders get no role.
    """
    candidates = [
        _Candidate(
            index=i,
            name=name,
            delimiter=delimiter or None,
            flags=tuple(flags),
            lowered_flags=frozenset(f.lower() for f in flags),
            selectable=not any(f.lower() in _NOT_SELECTABLE for f in flags),
            shared=_in_namespace(name, delimiter or None, shared_prefixes),
        )
        for i, (name, delimiter, flags) in enumerate(folders)
    ]
    usable = [c for c in candidates if c.selectable]
    roles: dict[int, str] = {}  # candidate index -> role
    taken: set[str] = set()

    def give(role: str, found: _Candidate | None) -> None:
        if found is not None and role not in taken and found.index not in roles:
            roles[found.index] = role
            taken.add(role)

    def free(pool: Iterable[_Candidate]) -> list[_Candidate]:
        return [c for c in pool if c.index not in roles]

    def by_flag(role: str, pool: Iterable[_Candidate]) -> _Candidate | None:
        return next(
            (c for c in free(pool) if any(_SPECIAL_USE.get(f) == role for f in c.lowered_flags)),
            None,
        )

    def by_name(role: str, pool: Iterable[_Candidate]) -> _Candidate | None:
        names = _NAME_KEYS.get(role, frozenset())
        full_names = _FULL_NAME_KEYS.get(role, frozenset())
        matches = [
            c for c in free(pool) if c.last in names or c.full in full_names or c.full in names
        ]
        matches.sort(key=lambda c: (c.depth, c.index))
        return matches[0] if matches else None

    own = [c for c in usable if not c.shared]
    others = [c for c in usable if c.shared]

    # The INBOX first: a server that also flags it (\Inbox, or by mistake \Sent) must not
    # lose it to another role.
    give("inbox", next((c for c in own if c.full == "inbox"), None) or by_flag("inbox", own))
    # All SPECIAL-USE evidence before any name evidence, so that a name match for one role
    # can never take a folder the server flagged for another.
    for role in ROLES:
        give(role, by_flag(role, own))
    for role in ROLES[1:]:
        give(role, by_name(role, own))
    # Someone else's folder only when the account has nothing of its own for the role:
    # mail filed there would land in a mailbox other people read.
    for role in ROLES:
        give(role, by_flag(role, others))
    # Gmail's All Mail (\All) last: by flag, own first, then by its well-known name.
    all_mail = (c for c in free(own + others) if c.lowered_flags & _ALL_MAIL_FLAGS)
    give("archive", next(all_mail, None))
    give("archive", next((c for c in free(own) if c.full in _ALL_MAIL_KEYS), None))

    return [
        RemoteFolder(
            name=c.name,
            delimiter=c.delimiter,
            flags=c.flags,
            role=roles.get(c.index),
            selectable=c.selectable,
            shared=c.shared,
        )
        for c in candidates
    ]
