"""Why sending failed, sorted by what the job runner should do next.

Every error carries ``permanent``: True when retrying the same send cannot succeed until
someone changes the settings, the addresses or the message; False when a later attempt
may work (the server is down, busy or answered 4xx). Messages are one line and never
contain the password.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.errors import FrontdeskError

# Refused recipients named in one error message; the rest are counted.
_MAX_NAMED = 5


@dataclass(frozen=True)
class Refusal:
    """One recipient the server refused at RCPT TO, with its reply."""

    address: str
    code: int
    reply: str  # the server's text, sanitised and bounded

    @property
    def permanent(self) -> bool:
        """True for a 5xx refusal; a 4xx one may pass on a later attempt."""
        return self.code >= 500

    def __str__(self) -> str:
        reply = f"{self.code} {self.reply}" if self.reply else str(self.code)
        return f"{self.address} ({reply})"


class SmtpError(FrontdeskError):
    """Talking to an SMTP server failed."""

    permanent: bool = False

    def __init__(self, message: str, *, host: str, port: int) -> None:
        super().__init__(message)
        self.host = host
        self.port = port

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors defeat the default pickling of exceptions; errors
        # may travel to another process (a console attached to the service).
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(cls: type[SmtpError], args: tuple[Any, ...], state: dict[str, Any]) -> SmtpError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class SmtpTemporary(SmtpError):
    """The server could not be reached, dropped the connection, timed out or answered
    4xx: the same send may work later."""

    permanent = False


class SmtpConfigError(SmtpError):
    """The settings do not fit the server (no STARTTLS, untrusted certificate, no AUTH,
    authentication required): nothing is sent until they change."""

    permanent = True


class SmtpAuthError(SmtpError):
    """The server refused the username or password.

    The caller may set ``account`` (the account's name) so the message names the
    command that fixes it.
    """

    permanent = True

    def __init__(self, *, host: str, port: int, reply: str, account: str | None = None,
                 token: bool = False) -> None:
        self.reply = reply
        self.account = account
        self.token = token  # an OAuth2 token was refused, not a password
        super().__init__(self._render(host), host=host, port=port)

    def _render(self, host: str) -> str:
        name = self.account or "NAME"
        if self.token:
            return (f"the SMTP server refused the OAuth2 token for {host} ({self.reply}): "
                    f"sign in again with `frontdesk account reconnect {name}`")
        return (
            f"the SMTP server refused the username or password for {host} ({self.reply}): "
            f"check them with `frontdesk account smtp {name} ...`"
        )

    def __str__(self) -> str:
        return self._render(self.host)


class SmtpRejected(SmtpError):
    """The server refused the sender or the message itself (5xx at MAIL FROM or DATA:
    too big, policy, content): resending it unchanged will fail again."""

    permanent = True


class SmtpRecipientsRefused(SmtpError):
    """The server refused every recipient, so nothing was sent.

    Permanent when every refusal was 5xx; if any was 4xx a later attempt may pass.
    """

    def __init__(self, refusals: Iterable[Refusal], *, host: str, port: int) -> None:
        # address -> refusal, in the order the recipients were given
        self.refused = {r.address: r for r in refusals}
        self.permanent = all(r.permanent for r in self.refused.values())
        listed = list(self.refused.values())
        named = ", ".join(str(r) for r in listed[:_MAX_NAMED])
        more = len(listed) - _MAX_NAMED
        if more > 0:
            named += f" and {more} more"
        advice = "check the addresses" if self.permanent else "try again later"
        super().__init__(
            f"{host}:{port} refused every recipient: {named}: {advice}", host=host, port=port
        )
