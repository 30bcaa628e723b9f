"""Sending mail: SMTP settings, drafts, the outbox and its jobs."""
