-- What IMAP sync needs: account settings, encrypted secrets, per-folder progress,
-- messages whose body is still to come, attachments, and sync health.

ALTER TABLE accounts ADD COLUMN ca_file TEXT;
ALTER TABLE accounts ADD COLUMN password_command TEXT;
ALTER TABLE accounts ADD COLUMN import_mode TEXT NOT NULL DEFAULT 'all'
    CHECK (import_mode IN ('all', 'unread', 'since', 'new-only'));
ALTER TABLE accounts ADD COLUMN import_since TEXT;
ALTER TABLE accounts ADD COLUMN mark_read_on_import INTEGER NOT NULL DEFAULT 0
    CHECK (mark_read_on_import IN (0, 1));
ALTER TABLE accounts ADD COLUMN write_read_status INTEGER NOT NULL DEFAULT 1
    CHECK (write_read_status IN (0, 1));
-- Folder names to sync, as a JSON array; discovery enables exactly these.
ALTER TABLE accounts ADD COLUMN sync_folders TEXT NOT NULL DEFAULT '["INBOX"]'
    CHECK (json_valid(sync_folders));
ALTER TABLE accounts ADD COLUMN last_sync_at TEXT;
ALTER TABLE accounts ADD COLUMN last_error TEXT;
ALTER TABLE accounts ADD COLUMN last_error_at TEXT;
-- Set when the server refused the credentials: sync stops retrying until they change.
ALTER TABLE accounts ADD COLUMN auth_failed INTEGER NOT NULL DEFAULT 0
    CHECK (auth_failed IN (0, 1));

-- Ciphertext only (AES-GCM, key file beside the database); bound to its row by context.
CREATE TABLE account_secrets (
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('imap_password', 'smtp_password',
                                                 'oauth_refresh_token')),
    ciphertext  BLOB NOT NULL,
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (account_id, purpose)
);

-- The highest UID fully handled under the folder's UIDVALIDITY: new mail starts after it.
ALTER TABLE folders ADD COLUMN synced_uid INTEGER NOT NULL DEFAULT 0;
-- While the first import runs: the last UID it covers (the server's UIDNEXT - 1 when it
-- began). The import mode filters UIDs up to it; everything after is new mail.
ALTER TABLE folders ADD COLUMN initial_until INTEGER;
ALTER TABLE folders ADD COLUMN flags TEXT NOT NULL DEFAULT '';
ALTER TABLE folders ADD COLUMN selectable INTEGER NOT NULL DEFAULT 1
    CHECK (selectable IN (0, 1));
ALTER TABLE folders ADD COLUMN last_error_at TEXT;
-- A folder gone from the server keeps its row (and mail) until it is cleaned up.
ALTER TABLE folders ADD COLUMN present INTEGER NOT NULL DEFAULT 1
    CHECK (present IN (0, 1));

-- Headers arrive first (a usable inbox), bodies after: 0 until the raw bytes are stored.
ALTER TABLE messages ADD COLUMN has_body INTEGER NOT NULL DEFAULT 1
    CHECK (has_body IN (0, 1));
CREATE INDEX messages_without_body ON messages(folder_id, uid) WHERE has_body = 0;

CREATE TABLE attachments (
    message_id    INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    filename      TEXT NOT NULL DEFAULT '',
    content_type  TEXT NOT NULL DEFAULT '',
    size          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, idx)
);
