-- POP3 accounts: an account's protocol, whether a POP3 account deletes what it imported
-- from the server, the IMAP account that files its Sent copies, and the UIDLs seen.

-- The server in imap_host/imap_port/imap_security is a POP3 one for 'pop3'.
ALTER TABLE accounts ADD COLUMN protocol TEXT NOT NULL DEFAULT 'imap'
    CHECK (protocol IN ('imap', 'pop3'));
-- POP3: DELE each message once it is committed to the store (0: leave it on the server).
ALTER TABLE accounts ADD COLUMN delete_after_import INTEGER NOT NULL DEFAULT 0
    CHECK (delete_after_import IN (0, 1));
-- POP3: the IMAP account (same owner) whose Sent folder holds copies of mail sent from
-- this one; NULL files them nowhere on a server.
ALTER TABLE accounts ADD COLUMN sent_account_id INTEGER
    REFERENCES accounts(id) ON DELETE SET NULL;

-- Every UIDL a POP3 account's server listed, and what became of it. A message and its
-- UIDL row are committed in one transaction, so a UIDL here is never fetched again.
-- state: 'pending'  listed when the first import began, not handled yet (its rules never run)
--        'stored'   its message is in the store (message_id, until someone deletes that)
--        'skipped'  left out by the import mode (new-only, since:DATE)
--        'denied'   its sender is on the deny list
-- deleted_on_server: gone from the server (deleted after import, or by another client).
CREATE TABLE pop3_uidls (
    account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    uidl               TEXT NOT NULL,
    message_id         INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    state              TEXT NOT NULL
                       CHECK (state IN ('pending', 'stored', 'skipped', 'denied')),
    imported_at        TEXT,
    deleted_on_server  INTEGER NOT NULL DEFAULT 0 CHECK (deleted_on_server IN (0, 1)),
    PRIMARY KEY (account_id, uidl)
);
-- Deleting a message looks up the rows that name it.
CREATE INDEX pop3_uidls_message ON pop3_uidls(message_id);
