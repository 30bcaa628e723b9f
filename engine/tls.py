"""TLS for client connections (IMAP and SMTP), one way."""

from __future__ import annotations

import ssl


def client_context(*, verify_cert: bool, ca_file: str | None) -> ssl.SSLContext:
    """A client TLS context: the system's trust store, or only `ca_file` when given; no
    verification at all when `verify_cert` is off. Raises OSError or ValueError when the
    CA file cannot be loaded."""
    if not verify_cert:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    # With a cafile only that bundle is trusted, not the system store.
    return ssl.create_default_context(cafile=ca_file)
