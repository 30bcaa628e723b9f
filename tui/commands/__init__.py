"""Headless commands of the `frontdesk` CLI, one module per group."""
