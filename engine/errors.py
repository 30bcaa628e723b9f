"""The engine's exceptions. Each message is one line fit to show the person at the edge
(CLI exit message, console notification): what is wrong and what to do."""

from __future__ import annotations


class FrontdeskError(Exception):
    """An expected failure: shown as one line, never as a traceback."""


class StoreOpenError(FrontdeskError):
    """The database could not be opened, created or migrated."""


class UnknownAgentError(FrontdeskError):
    """The acting person is not an agent of this store, or is deactivated."""


class NotFoundError(FrontdeskError):
    """The thing asked for does not exist, or the agent may not see it: the two are
    deliberately indistinguishable, so a probe learns nothing about others' mail."""


class AccessDeniedError(FrontdeskError):
    """The agent may see the thing but not do this to it."""


class InvalidInputError(FrontdeskError):
    """An argument from the person is not acceptable."""


class ConflictError(FrontdeskError):
    """The action would take something that belongs to another record (an address paired
    to another customer): the person must choose to move it, or stop."""


class GoneError(NotFoundError):
    """The message was there a moment ago: another agent deleted or moved it, or it
    vanished from the server. Nothing was changed."""


class ImapError(FrontdeskError):
    """Talking to an IMAP server failed."""


class ImapConnectError(ImapError):
    """The server could not be reached, or TLS failed: worth retrying later."""


class ImapAuthError(ImapError):
    """The server refused the credentials: retrying will not help until they change."""


class SecretError(FrontdeskError):
    """A stored secret could not be read, or a password command failed."""


class OAuthError(FrontdeskError):
    """An OAuth2 sign-in or token refresh failed (the provider or the network said no)."""


class OAuthReauthError(OAuthError):
    """The provider no longer honours the account's token (revoked, expired, consent
    withdrawn): someone must sign in again; retrying will not help."""
