"""POP3 accounts: a blocking poplib session driven from asyncio (client), the account
test (check), what a sync pass fetches, skips and deletes (plan), and the pass (sync)."""
