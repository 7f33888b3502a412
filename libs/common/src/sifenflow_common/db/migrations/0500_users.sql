-- People who sign in (no passwords: emailed one-time links or OpenID Connect), their role in each
-- company, invitations, sessions (refresh-token families) and the audit log. Every token is stored
-- only as the SHA-256 of its text; the texts are shown once (in an email, a cookie or a URL).

-- "contador" is the read role; "lectura" stays accepted as its legacy name.
ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_role_check;
UPDATE api_keys SET role = 'contador' WHERE role = 'lectura';
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('admin', 'emisor', 'contador', 'lectura'));

CREATE TABLE IF NOT EXISTS users (
    id          uuid PRIMARY KEY,
    email       text NOT NULL UNIQUE CHECK (email = lower(email)),
    nombre      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz
);

CREATE TABLE IF NOT EXISTS memberships (
    user_id     uuid NOT NULL REFERENCES users (id),
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    role        text NOT NULL CHECK (role IN ('admin', 'emisor', 'contador')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, tenant_id)
);
CREATE INDEX IF NOT EXISTS memberships_tenant_idx ON memberships (tenant_id);

-- One-time sign-in links (purpose 'sign_in') and invitations (purpose 'invitation').
CREATE TABLE IF NOT EXISTS user_links (
    token_hash  text PRIMARY KEY,
    purpose     text NOT NULL CHECK (purpose IN ('sign_in', 'invitation')),
    email       text NOT NULL,
    tenant_id   uuid REFERENCES tenants (id),
    role        text CHECK (role IN ('admin', 'emisor', 'contador')),
    invited_by  uuid REFERENCES users (id),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS user_links_email_idx ON user_links (email);

-- A session is a family of refresh tokens: each refresh spends one and issues the next; presenting a
-- spent one revokes the family (and its access tokens).
CREATE TABLE IF NOT EXISTS user_sessions (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id),
    method      text NOT NULL,  -- enlace | oidc | invitacion
    csrf_hash   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    revoked_reason text
);
CREATE INDEX IF NOT EXISTS user_sessions_user_idx ON user_sessions (user_id);

CREATE TABLE IF NOT EXISTS session_tokens (
    token_hash  text PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES user_sessions (id),
    kind        text NOT NULL CHECK (kind IN ('access', 'refresh')),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,  -- refresh tokens: spent
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS session_tokens_session_idx ON session_tokens (session_id);

-- OpenID Connect sign-ins in flight: state → nonce and PKCE verifier, used once.
CREATE TABLE IF NOT EXISTS oidc_requests (
    state_hash  text PRIMARY KEY,
    nonce       text NOT NULL,
    code_verifier text NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Append-only: the gateway inserts, nothing updates or deletes.
CREATE TABLE IF NOT EXISTS audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    tenant_id   uuid,
    actor_kind  text NOT NULL CHECK (actor_kind IN ('user', 'key', 'anonymous')),
    actor_id    text NOT NULL,
    actor_label text NOT NULL DEFAULT '',
    action      text NOT NULL,
    method      text NOT NULL,
    route       text NOT NULL,
    status      integer NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_tenant_idx ON audit_log (tenant_id, id DESC);

CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
