-- What the gateway accepted: one row per document (its FacturaSend-style numeric id), the lotes of a
-- request, the Idempotency-Key results and bulk batches. Status after acceptance lives in the read
-- model of the event store; situacion here only records draft (-1), accepted (0) and discarded drafts.
CREATE TABLE IF NOT EXISTS gateway_lotes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    tipo_documento smallint NOT NULL,
    draft       boolean NOT NULL DEFAULT false,
    status      text NOT NULL CHECK (status IN ('borrador', 'aceptado', 'descartado')),
    sync        boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS gateway_lotes_tenant_idx ON gateway_lotes (tenant_id, id);

CREATE TABLE IF NOT EXISTS gateway_documents (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id     uuid NOT NULL UNIQUE,
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    lote_id         bigint NOT NULL REFERENCES gateway_lotes (id),
    cdc             text NOT NULL CHECK (length(cdc) = 44),
    tipo_documento  smallint NOT NULL,
    timbrado        text NOT NULL,
    establecimiento text NOT NULL,
    punto           text NOT NULL,
    numero          bigint NOT NULL,
    situacion       smallint NOT NULL,
    is_borrado      boolean NOT NULL DEFAULT false,
    content_hash    text NOT NULL,
    data            jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, cdc)
);
CREATE INDEX IF NOT EXISTS gateway_documents_lote_idx ON gateway_documents (lote_id);

CREATE TABLE IF NOT EXISTS gateway_idempotency (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    idem_key      text NOT NULL,
    request_hash  text NOT NULL,
    result        jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, idem_key)
);

CREATE TABLE IF NOT EXISTS gateway_bulk_batches (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    status       text NOT NULL CHECK (status IN ('recibido', 'procesando', 'completado', 'fallido')),
    total        integer NOT NULL,
    accepted     integer NOT NULL DEFAULT 0,
    failed       integer NOT NULL DEFAULT 0,
    errors       jsonb NOT NULL DEFAULT '[]'::jsonb,
    lote_ids     bigint[] NOT NULL DEFAULT '{}',
    source_sha256 text,  -- artifact with the NDJSON as received; a restarted gateway resumes from it
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX IF NOT EXISTS gateway_bulk_tenant_idx ON gateway_bulk_batches (tenant_id, created_at DESC);
