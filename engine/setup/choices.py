"""The setup's choices and defaults that the command line's flags name, as plain
constants: reading them does not load the setup itself (engine.setup.plan,
engine.setup.models)."""

DEFAULT_TIMEOUT = 3.0  # seconds, for each network step of discovery

# How a new account sends: through the SMTP server discovery found, the system SMTP, or
# not yet.
SMTP_DISCOVERED = "discovered"
SMTP_SYSTEM = "system"
SMTP_NONE = "none"
SMTP_CHOICES = (SMTP_DISCOVERED, SMTP_SYSTEM, SMTP_NONE)
