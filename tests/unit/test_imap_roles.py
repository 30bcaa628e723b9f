"""Folder roles from realistic LIST results of the servers people use."""

from __future__ import annotations

import unicodedata

import pytest

from engine.imap.roles import ROLES, RemoteFolder, assign_roles

Listing = list[tuple[str, str | None, tuple[str, ...]]]


def roles_of(listing: Listing, **kwargs: object) -> dict[str, str]:
    """role -> folder name, checking on the way that no role is given twice."""
    result = assign_roles(listing, **kwargs)  # type: ignore[arg-type]
    given = [f.role for f in result if f.role]
    assert len(given) == len(set(given)), given
    return {f.role: f.name for f in result if f.role}


# -- real servers ------------------------------------------------------------------------------

DOVECOT_ALICE: Listing = [
    ("Sent", "/", ("\\HasNoChildren", "\\Sent")),
    ("Drafts", "/", ("\\HasNoChildren", "\\Drafts")),
    ("Trash", "/", ("\\HasNoChildren", "\\Trash")),
    ("Junk", "/", ("\\HasNoChildren", "\\Junk")),
    ("Archive", "/", ("\\HasNoChildren", "\\Archive")),
    ("shared", "/", ("\\Noselect", "\\HasChildren")),
    ("shared/support@example.com", "/", ("\\Noselect", "\\HasChildren")),
    ("shared/support@example.com/INBOX", "/", ("\\HasNoChildren",)),
    ("INBOX", "/", ("\\HasNoChildren",)),
]

GMAIL: Listing = [
    ("INBOX", "/", ("\\HasNoChildren",)),
    ("Customers", "/", ("\\HasNoChildren",)),
    ("[Gmail]", "/", ("\\HasChildren", "\\Noselect")),
    ("[Gmail]/All Mail", "/", ("\\All", "\\HasNoChildren")),
    ("[Gmail]/Drafts", "/", ("\\Drafts", "\\HasNoChildren")),
    ("[Gmail]/Important", "/", ("\\HasNoChildren", "\\Important")),
    ("[Gmail]/Sent Mail", "/", ("\\HasNoChildren", "\\Sent")),
    ("[Gmail]/Spam", "/", ("\\HasNoChildren", "\\Junk")),
    ("[Gmail]/Starred", "/", ("\\Flagged", "\\HasNoChildren")),
    ("[Gmail]/Trash", "/", ("\\HasNoChildren", "\\Trash")),
]

MICROSOFT_365: Listing = [
    ("Archive", "/", ("\\HasNoChildren",)),
    ("Calendar", "/", ("\\HasChildren",)),
    ("Calendar/Birthdays", "/", ("\\HasNoChildren",)),
    ("Contacts", "/", ("\\HasNoChildren",)),
    ("Conversation History", "/", ("\\HasNoChildren",)),
    ("Deleted Items", "/", ("\\HasNoChildren", "\\Trash")),
    ("Drafts", "/", ("\\HasNoChildren", "\\Drafts")),
    ("INBOX", "/", ("\\Marked", "\\HasNoChildren")),
    ("Journal", "/", ("\\HasNoChildren",)),
    ("Junk Email", "/", ("\\HasNoChildren", "\\Junk")),
    ("Notes", "/", ("\\HasNoChildren",)),
    ("Outbox", "/", ("\\HasNoChildren",)),
    ("Sent Items", "/", ("\\HasNoChildren", "\\Sent")),
    ("Tasks", "/", ("\\HasNoChildren",)),
]

COURIER: Listing = [
    ("INBOX", ".", ("\\Unmarked", "\\HasChildren")),
    ("INBOX.Customers", ".", ("\\HasChildren",)),
    ("INBOX.Customers.Sent", ".", ("\\HasNoChildren",)),  # deeper: never the account's Sent
    ("INBOX.Sent", ".", ("\\HasNoChildren",)),
    ("INBOX.Drafts", ".", ("\\HasNoChildren",)),
    ("INBOX.Trash", ".", ("\\HasNoChildren",)),
    ("INBOX.Spam", ".", ("\\HasNoChildren",)),
    ("INBOX.Archive", ".", ("\\HasNoChildren",)),
]


def test_dovecot_special_use() -> None:
    assert roles_of(DOVECOT_ALICE, shared_prefixes=["shared/"]) == {
        "inbox": "INBOX",
        "sent": "Sent",
        "drafts": "Drafts",
        "trash": "Trash",
        "spam": "Junk",
        "archive": "Archive",
    }


def test_dovecot_shared_folders_are_marked_and_get_no_role() -> None:
    result = {f.name: f for f in assign_roles(DOVECOT_ALICE, shared_prefixes=["shared/"])}
    shared_inbox = result["shared/support@example.com/INBOX"]
    assert shared_inbox == RemoteFolder(
        name="shared/support@example.com/INBOX",
        delimiter="/",
        flags=("\\HasNoChildren",),
        role=None,
        selectable=True,
        shared=True,
    )
    assert result["shared"].shared and not result["shared"].selectable
    assert result["shared/support@example.com"].shared
    assert not result["INBOX"].shared
    assert not result["Sent"].shared


def test_shared_inbox_is_not_the_inbox_even_without_namespace_info() -> None:
    # Only the own INBOX by its full name is the inbox, not "<anything>/INBOX".
    listing = [f for f in DOVECOT_ALICE if f[0] != "INBOX"]
    assert "inbox" not in roles_of(listing)


def test_gmail_all_mail_is_archive_only_as_last_resort() -> None:
    assert roles_of(GMAIL) == {
        "inbox": "INBOX",
        "sent": "[Gmail]/Sent Mail",
        "drafts": "[Gmail]/Drafts",
        "trash": "[Gmail]/Trash",
        "spam": "[Gmail]/Spam",
        "archive": "[Gmail]/All Mail",
    }


def test_gmail_real_archive_label_beats_all_mail() -> None:
    listing = [*GMAIL, ("Archive", "/", ("\\HasNoChildren",))]
    roles = roles_of(listing)
    assert roles["archive"] == "Archive"
    all_mail = next(f for f in assign_roles(listing) if f.name == "[Gmail]/All Mail")
    assert all_mail.role is None


def test_gmail_important_and_starred_are_ignored() -> None:
    result = {f.name: f.role for f in assign_roles(GMAIL)}
    assert result["[Gmail]/Important"] is None
    assert result["[Gmail]/Starred"] is None
    assert result["[Gmail]"] is None  # \Noselect


def test_gmail_without_special_use_by_names() -> None:
    # Old servers and proxies: the same folders, no SPECIAL-USE attributes.
    bare = [(name, delim, ("\\HasNoChildren",)) for name, delim, _flags in GMAIL]
    assert roles_of(bare) == {
        "inbox": "INBOX",
        "sent": "[Gmail]/Sent Mail",
        "drafts": "[Gmail]/Drafts",
        "trash": "[Gmail]/Trash",
        "spam": "[Gmail]/Spam",
        "archive": "[Gmail]/All Mail",
    }


def test_google_mail_uk_de_variant_by_names() -> None:
    listing: Listing = [
        ("INBOX", "/", ()),
        ("[Google Mail]", "/", ("\\Noselect", "\\HasChildren")),
        ("[Google Mail]/All Mail", "/", ()),
        ("[Google Mail]/Bin", "/", ()),
        ("[Google Mail]/Drafts", "/", ()),
        ("[Google Mail]/Sent Mail", "/", ()),
        ("[Google Mail]/Spam", "/", ()),
    ]
    assert roles_of(listing) == {
        "inbox": "INBOX",
        "sent": "[Google Mail]/Sent Mail",
        "drafts": "[Google Mail]/Drafts",
        "trash": "[Google Mail]/Bin",
        "spam": "[Google Mail]/Spam",
        "archive": "[Google Mail]/All Mail",
    }


def test_gmail_xlist_attributes() -> None:
    # XLIST-era flags: \Inbox on a localized inbox, \Spam, \AllMail.
    listing: Listing = [
        ("Posteingang", "/", ("\\HasNoChildren", "\\Inbox")),
        ("[Gmail]/Alle Nachrichten", "/", ("\\HasNoChildren", "\\AllMail")),
        ("[Gmail]/Spam", "/", ("\\HasNoChildren", "\\Spam")),
        ("[Gmail]/Gesendet", "/", ("\\HasNoChildren", "\\Sent")),
    ]
    assert roles_of(listing) == {
        "inbox": "Posteingang",
        "spam": "[Gmail]/Spam",
        "sent": "[Gmail]/Gesendet",
        "archive": "[Gmail]/Alle Nachrichten",
    }


def test_microsoft_365_with_flags() -> None:
    assert roles_of(MICROSOFT_365) == {
        "inbox": "INBOX",
        "sent": "Sent Items",
        "drafts": "Drafts",
        "trash": "Deleted Items",
        "spam": "Junk Email",
        "archive": "Archive",  # Exchange does not flag it: found by name
    }


def test_microsoft_365_without_flags_by_names() -> None:
    bare = [(name, delim, ("\\HasNoChildren",)) for name, delim, _flags in MICROSOFT_365]
    assert roles_of(bare) == {
        "inbox": "INBOX",
        "sent": "Sent Items",
        "drafts": "Drafts",
        "trash": "Deleted Items",
        "spam": "Junk Email",
        "archive": "Archive",
    }


def test_exchange_on_premises_junk_e_mail_and_apple_names() -> None:
    assert roles_of([("INBOX", "/", ()), ("Junk E-mail", "/", ())])["spam"] == "Junk E-mail"
    icloud: Listing = [
        ("INBOX", "/", ()),
        ("Sent Messages", "/", ()),
        ("Deleted Messages", "/", ()),
        ("Junk", "/", ()),
        ("Drafts", "/", ()),
        ("Archive", "/", ()),
    ]
    assert roles_of(icloud) == {
        "inbox": "INBOX",
        "sent": "Sent Messages",
        "trash": "Deleted Messages",
        "spam": "Junk",
        "drafts": "Drafts",
        "archive": "Archive",
    }


def test_yahoo_bulk_mail() -> None:
    assert roles_of([("Inbox", "/", ()), ("Bulk Mail", "/", ())]) == {
        "inbox": "Inbox",
        "spam": "Bulk Mail",
    }


def test_courier_cyrus_dot_delimiter() -> None:
    assert roles_of(COURIER) == {
        "inbox": "INBOX",
        "sent": "INBOX.Sent",
        "drafts": "INBOX.Drafts",
        "trash": "INBOX.Trash",
        "spam": "INBOX.Spam",
        "archive": "INBOX.Archive",
    }


def test_cyrus_sent_items_under_inbox() -> None:
    listing: Listing = [
        ("INBOX", ".", ()),
        ("INBOX.Sent Items", ".", ()),
        ("INBOX.Deleted Items", ".", ()),
    ]
    assert roles_of(listing) == {
        "inbox": "INBOX",
        "sent": "INBOX.Sent Items",
        "trash": "INBOX.Deleted Items",
    }


# -- localized names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (
            ["Gesendet", "Entwürfe", "Papierkorb", "Spam", "Archiv"],
            ["sent", "drafts", "trash", "spam", "archive"],
        ),
        (
            ["Gesendete Elemente", "Entwürfe", "Gelöschte Elemente", "Junk-E-Mail", "Archiv"],
            ["sent", "drafts", "trash", "spam", "archive"],
        ),
        (
            ["Envoyés", "Brouillons", "Corbeille", "Courrier indésirable", "Archives"],
            ["sent", "drafts", "trash", "spam", "archive"],
        ),
        (
            ["Éléments envoyés", "Brouillons", "Éléments supprimés", "Indésirables", "Archive"],
            ["sent", "drafts", "trash", "spam", "archive"],
        ),
        (
            ["Enviados", "Borradores", "Papelera", "Correo no deseado", "Archivo"],
            ["sent", "drafts", "trash", "spam", "archive"],
        ),
        (
            ["Posta inviata", "Bozze", "Cestino", "Posta indesiderata", "Archivio"],
            ["sent", "drafts", "trash", "spam", "archive"],
        ),
        (
            ["Verzonden items", "Concepten", "Verwijderde items", "Ongewenste e-mail", "Archief"],
            ["sent", "drafts", "trash", "spam", "archive"],
        ),
    ],
)
def test_localized_names(names: list[str], expected: list[str]) -> None:
    listing: Listing = [("INBOX", "/", ()), *((n, "/", ("\\HasNoChildren",)) for n in names)]
    roles = roles_of(listing)
    assert {role: roles[role] for role in expected} == dict(zip(expected, names, strict=True))


def test_names_match_case_insensitively_and_in_any_unicode_normal_form() -> None:
    decomposed = unicodedata.normalize("NFD", "Entwürfe")
    assert decomposed != "Entwürfe"
    listing: Listing = [
        ("inbox", "/", ()),
        ("SENT ITEMS", "/", ()),
        (decomposed, "/", ()),
        ("PAPIERKORB", "/", ()),
        ("ENVOYÉS", "/", ()),  # a second Sent candidate at the same depth, listed later
    ]
    assert roles_of(listing) == {
        "inbox": "inbox",
        "sent": "SENT ITEMS",
        "drafts": decomposed,
        "trash": "PAPIERKORB",
    }


# -- rules -------------------------------------------------------------------------------------


def test_each_role_at_most_once_first_listed_wins() -> None:
    listing: Listing = [
        ("INBOX", "/", ()),
        ("Sent Items", "/", ()),
        ("Sent", "/", ()),
        ("Trash", "/", ("\\Trash",)),
        ("Deleted Items", "/", ("\\Trash",)),
    ]
    result = {f.name: f.role for f in assign_roles(listing)}
    assert result == {
        "INBOX": "inbox",
        "Sent Items": "sent",
        "Sent": None,
        "Trash": "trash",
        "Deleted Items": None,
    }


def test_special_use_beats_name() -> None:
    listing: Listing = [
        ("INBOX", "/", ()),
        ("Sent", "/", ()),
        ("Outgoing", "/", ("\\Sent",)),
        ("Archive", "/", ()),
        ("Old/Filed", "/", ("\\Archive",)),
    ]
    assert roles_of(listing) == {
        "inbox": "INBOX",
        "sent": "Outgoing",
        "archive": "Old/Filed",
    }


def test_shallowest_name_wins_over_listing_order() -> None:
    listing: Listing = [
        ("INBOX", "/", ()),
        ("Projects/Acme/Sent", "/", ()),
        ("Projects/Trash", "/", ()),
        ("Sent", "/", ()),
        ("Trash", "/", ()),
    ]
    assert roles_of(listing) == {"inbox": "INBOX", "sent": "Sent", "trash": "Trash"}


def test_nested_name_is_used_when_nothing_shallower_exists() -> None:
    listing: Listing = [("INBOX", "/", ()), ("Mail/Sent", "/", ())]
    assert roles_of(listing)["sent"] == "Mail/Sent"


def test_non_selectable_folders_get_no_role() -> None:
    listing: Listing = [
        ("INBOX", "/", ()),
        ("Trash", "/", ("\\Noselect", "\\HasChildren")),
        ("Sent", "/", ("\\NonExistent", "\\Sent")),
        ("Deleted Items", "/", ()),
        ("Sent Items", "/", ()),
    ]
    result = {f.name: f for f in assign_roles(listing)}
    assert result["Trash"].role is None and not result["Trash"].selectable
    assert result["Sent"].role is None and not result["Sent"].selectable
    assert result["Deleted Items"].role == "trash"
    assert result["Sent Items"].role == "sent"


def test_noselect_flag_is_case_insensitive() -> None:
    [folder] = assign_roles([("Trash", "/", ("\\NOSELECT",))])
    assert folder.role is None and not folder.selectable


def test_a_folder_plays_one_role_only() -> None:
    listing: Listing = [
        ("INBOX", "/", ("\\Sent",)),  # a confused server: the inbox stays the inbox
        ("Bin", "/", ("\\Trash", "\\Junk")),
        ("Spam", "/", ()),
        ("Outbox", "/", ()),
    ]
    assert roles_of(listing) == {"inbox": "INBOX", "trash": "Bin", "spam": "Spam"}


def test_name_match_never_takes_a_folder_flagged_for_another_role() -> None:
    # "Archive" is flagged \Trash here; the archive role must not steal it by name.
    listing: Listing = [("INBOX", "/", ()), ("Archive", "/", ("\\Trash",))]
    assert roles_of(listing) == {"inbox": "INBOX", "trash": "Archive"}


def test_shared_folders_only_by_special_use_and_after_own_folders() -> None:
    listing: Listing = [
        ("INBOX", "/", ()),
        ("Sent", "/", ()),  # own, by name
        ("Other Users/bob/Sent", "/", ("\\Sent",)),
        ("Other Users/bob/Trash", "/", ()),  # shared and not flagged: never by name
        ("Other Users/bob/Drafts", "/", ("\\Drafts",)),  # the account has no drafts of its own
    ]
    result = {f.name: f for f in assign_roles(listing, shared_prefixes=["Other Users/"])}
    assert result["Sent"].role == "sent"
    assert result["Other Users/bob/Sent"].role is None
    assert result["Other Users/bob/Trash"].role is None
    assert result["Other Users/bob/Drafts"].role == "drafts"
    assert all(result[n].shared for n in result if n.startswith("Other Users/"))


def test_empty_prefix_never_marks_everything_shared() -> None:
    result = assign_roles([("INBOX", "/", ()), ("Sent", "/", ())], shared_prefixes=["", "#shared/"])
    assert [f.shared for f in result] == [False, False]
    assert [f.role for f in result] == ["inbox", "sent"]


def test_flat_namespace_without_delimiter() -> None:
    listing: Listing = [("INBOX", None, ()), ("Sent", None, ()), ("Trash", None, ())]
    result = assign_roles(listing)
    assert [(f.name, f.delimiter, f.role) for f in result] == [
        ("INBOX", None, "inbox"),
        ("Sent", None, "sent"),
        ("Trash", None, "trash"),
    ]


def test_order_and_fields_are_kept() -> None:
    result = assign_roles(DOVECOT_ALICE)
    assert [(f.name, f.delimiter, f.flags) for f in result] == DOVECOT_ALICE
    assert all(f.role in (*ROLES, None) for f in result)


def test_unknown_folders_and_empty_listing() -> None:
    assert assign_roles([]) == []
    [folder] = assign_roles([("Customers/Acme", "/", ("\\HasNoChildren",))])
    assert folder.role is None and folder.selectable
