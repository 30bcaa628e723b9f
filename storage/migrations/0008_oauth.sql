-- OAuth2: the admin's client registration per provider, and accounts that log in with a
-- token instead of a password. The token state itself (refresh token, or the provider
-- library's token cache) is ciphertext in account_secrets, purpose 'oauth_refresh_token'.

CREATE TABLE oauth_providers (
    provider    TEXT PRIMARY KEY CHECK (provider IN ('microsoft', 'google')),
    client_id   TEXT NOT NULL CHECK (client_id <> ''),
    tenant      TEXT,   -- Microsoft: the directory (tenant) id or "organizations"
    authority   TEXT,   -- Microsoft: an authority URL instead of login.microsoftonline.com
    auth_uri    TEXT,   -- Google: an authorization endpoint instead of Google's
    token_uri   TEXT,   -- Google: a token endpoint instead of Google's
    ca_file     TEXT,   -- PEM bundle to trust for the endpoints instead of the system store
    updated_by  INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- A provider's client secret (optional for Microsoft): ciphertext only.
CREATE TABLE oauth_client_secrets (
    provider    TEXT PRIMARY KEY REFERENCES oauth_providers(provider) ON DELETE CASCADE,
    ciphertext  BLOB NOT NULL,
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Set for an account that logs in with OAuth2 through this provider.
ALTER TABLE accounts ADD COLUMN oauth_provider TEXT
    CHECK (oauth_provider IN ('microsoft', 'google'));
-- Whom the token was issued to. Usually the account's own address; for a Microsoft shared
-- mailbox, the delegate who signed in: SMTP authenticates as this user.
ALTER TABLE accounts ADD COLUMN oauth_user TEXT;
-- When the stored access token expires (UTC); not a secret, shown by `status`.
ALTER TABLE accounts ADD COLUMN oauth_expires_at TEXT;
