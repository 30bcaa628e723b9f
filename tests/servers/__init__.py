"""Real servers (Dovecot, ...) started by the test suite; see /work/shared/TESTING.md."""
