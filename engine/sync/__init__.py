"""IMAP sync: keeps the store in step with each account's folders."""
