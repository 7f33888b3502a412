-- Gapless document numbers per (tenant, timbrado, establecimiento, punto, tipo). The counter row is
-- updated with UPDATE ... RETURNING inside the transaction that records the document, so its row lock
-- serialises concurrent allocations and a rollback returns the number. Every used number (allocated
-- or given by the client) is recorded once in document_numbers; reuse is a primary-key conflict.
CREATE TABLE IF NOT EXISTS numbering_counters (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    timbrado         text NOT NULL,
    establecimiento  text NOT NULL,
    punto            text NOT NULL,
    tipo_documento   smallint NOT NULL,
    next_value       bigint NOT NULL CHECK (next_value >= 1),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, timbrado, establecimiento, punto, tipo_documento)
);

CREATE TABLE IF NOT EXISTS document_numbers (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    timbrado         text NOT NULL,
    establecimiento  text NOT NULL,
    punto            text NOT NULL,
    tipo_documento   smallint NOT NULL,
    numero           bigint NOT NULL CHECK (numero BETWEEN 1 AND 9999999),
    document_id      uuid NOT NULL,
    content_hash     text NOT NULL,
    allocated        boolean NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, timbrado, establecimiento, punto, tipo_documento, numero)
);
