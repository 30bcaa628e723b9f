"""Where and how to send mail: one SMTP server's settings, password or token included."""

from __future__ import annotations

from dataclasses import dataclass

from engine.credentials import BearerToken
from engine.errors import InvalidInputError
from engine.secrets import mask
from engine.server_settings import check_port_and_timeout, usual_port

_DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


def default_port(security: str) -> int:
    """The usual port for *security*: 465 for implicit TLS, 587 for STARTTLS, 25 for plain."""
    return usual_port("SMTP", security, _DEFAULT_PORTS)


@dataclass(frozen=True, repr=False)
class SmtpSettings:
    """One SMTP server and the credentials to send through it.

    The password is already resolved (decrypted, or read from the account's password
    command) by whoever builds this; ``repr`` masks it, so a settings object can appear
    in a log line or a traceback without giving it away. With ``bearer`` set, the login
    is by OAuth2 (XOAUTH2 or OAUTHBEARER) as ``username`` instead of by password; its
    ``repr`` masks the token too.
    """

    host: str
    port: int
    security: str  # "ssl" | "starttls" | "none"
    auth: bool
    username: str
    password: str | None
    ca_file: str | None = None  # PEM bundle to trust instead of the system store
    verify_cert: bool = True
    timeout: float = 30.0  # socket timeout, seconds
    bearer: BearerToken | None = None  # an OAuth2 access token, used instead of the password

    def __post_init__(self) -> None:
        usual_port("SMTP", self.security, _DEFAULT_PORTS)
        if not self.host:
            raise InvalidInputError("SMTP host is empty: give the server's host name")
        check_port_and_timeout("SMTP", self.port, self.timeout)

    @property
    def address(self) -> str:
        """host:port, as error messages name the server."""
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:
        password = None if self.password is None else mask(self.password)
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port!r}, "
            f"security={self.security!r}, auth={self.auth!r}, username={self.username!r}, "
            f"password={password!r}, ca_file={self.ca_file!r}, "
            f"verify_cert={self.verify_cert!r}, timeout={self.timeout!r}, "
            f"bearer={self.bearer!r})"
        )
