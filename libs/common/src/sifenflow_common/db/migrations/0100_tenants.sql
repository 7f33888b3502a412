-- Tenants (one per emisor company) and their API keys. Secrets are stored sealed (AES-GCM, see
-- sifenflow_common.crypto); API keys only as SHA-256 of the token plus a public lookup id.
CREATE TABLE IF NOT EXISTS tenants (
    id                    uuid PRIMARY KEY,
    slug                  text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{1,62}$'),
    nombre                text NOT NULL,
    environment           text NOT NULL CHECK (environment IN ('simulado', 'test', 'produccion')),
    sifen_base_url        text NOT NULL,
    params                jsonb NOT NULL,
    timbrados             jsonb NOT NULL DEFAULT '[]'::jsonb,
    puntos                jsonb NOT NULL DEFAULT '{}'::jsonb,
    csc_id                text,
    csc_sealed            text,
    certificate_sealed    text,
    certificate_password_sealed text,
    certificate_not_after timestamptz,
    smtp                  jsonb NOT NULL DEFAULT '{}'::jsonb,
    webhook               jsonb NOT NULL DEFAULT '{}'::jsonb,
    active                boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS api_keys (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    lookup_id   text NOT NULL UNIQUE,
    token_hash  text NOT NULL,
    role        text NOT NULL CHECK (role IN ('admin', 'emisor', 'lectura')),
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX IF NOT EXISTS api_keys_tenant_idx ON api_keys (tenant_id);
