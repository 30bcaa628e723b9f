"""SMTP sending: settings, a blocking client (run it in a worker thread), its errors."""

from engine.server_settings import SECURITY_MODES
from engine.smtp.client import SendReport, check, send
from engine.smtp.errors import (
    Refusal,
    SmtpAuthError,
    SmtpConfigError,
    SmtpError,
    SmtpRecipientsRefused,
    SmtpRejected,
    SmtpTemporary,
)
from engine.smtp.settings import SmtpSettings, default_port

__all__ = [
    "SECURITY_MODES",
    "Refusal",
    "SendReport",
    "SmtpAuthError",
    "SmtpConfigError",
    "SmtpError",
    "SmtpRecipientsRefused",
    "SmtpRejected",
    "SmtpSettings",
    "SmtpTemporary",
    "check",
    "default_port",
    "send",
]
