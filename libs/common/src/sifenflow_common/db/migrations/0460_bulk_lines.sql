-- Outcome of every line of a bulk batch, written as each lote is accepted (one transaction with the
-- batch counters): the batch's accepted/failed are the sum of these rows, a resumed batch skips the
-- lines already here, and GET /{t}/bulk/{id}/lines pages through them.
CREATE TABLE IF NOT EXISTS gateway_bulk_lines (
    batch_id    uuid NOT NULL REFERENCES gateway_bulk_batches (id) ON DELETE CASCADE,
    line        integer NOT NULL,
    estado      text NOT NULL CHECK (estado IN ('aceptado', 'fallido')),
    document_id bigint,  -- gateway_documents.id (de/id/{id})
    lote_id     bigint,
    cdc         text,
    numero      text,    -- 001-001-0000001
    errors      jsonb NOT NULL DEFAULT '[]'::jsonb,
    PRIMARY KEY (batch_id, line)
);
CREATE INDEX IF NOT EXISTS gateway_bulk_lines_estado_idx ON gateway_bulk_lines (batch_id, estado, line);
