-- Events a projection could not apply, set aside so the projection goes on past them (style §6).
-- `sifenflow projections parked --replay` applies them again after a fix; a replayed row keeps its
-- history (replayed_at) instead of disappearing.
CREATE TABLE IF NOT EXISTS projection_parked_events (
    subscription    text NOT NULL,
    global_position bigint NOT NULL,
    transaction_id  xid8 NOT NULL,
    message_id      uuid NOT NULL,
    event_type      text NOT NULL,
    tenant_id       uuid NOT NULL,
    error           text NOT NULL,
    attempts        integer NOT NULL DEFAULT 1,
    parked_at       timestamptz NOT NULL DEFAULT now(),
    replayed_at     timestamptz,
    PRIMARY KEY (subscription, global_position)
);
CREATE INDEX IF NOT EXISTS projection_parked_pending_idx
    ON projection_parked_events (subscription, transaction_id, global_position) WHERE replayed_at IS NULL;

-- Read-model keys are scoped by company: two companies may hold the same CDC (SIFEN numbers per RUC,
-- and nothing but the gateway's checks keeps two companies from sharing one), so a CDC is unique
-- per tenant only. The (tenant_id, cdc) index replaces the plain one it made redundant.
ALTER TABLE document_status DROP CONSTRAINT IF EXISTS document_status_cdc_key;
DROP INDEX IF EXISTS document_status_tenant_cdc_idx;
CREATE UNIQUE INDEX IF NOT EXISTS document_status_tenant_cdc_key ON document_status (tenant_id, cdc);
