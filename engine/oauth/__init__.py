"""OAuth2 sign-in and tokens for Microsoft 365 (msal device code flow) and Gmail
(authorization code with PKCE and a loopback redirect)."""
