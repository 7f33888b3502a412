-- Read model of the document lifecycle, kept by the `documents` projection (style §6).
CREATE TABLE document_status (
    tenant_id        uuid NOT NULL,
    document_id      uuid PRIMARY KEY,
    cdc              text UNIQUE,
    document_type    smallint NOT NULL,
    establishment    text NOT NULL,
    expedition_point text NOT NULL,
    number           text NOT NULL,
    external_id      text,
    status           text NOT NULL,
    sifen_code       text,
    sifen_message    text,
    lote_id          uuid,
    xml_sha256       text,
    stream_version   bigint NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);

CREATE INDEX document_status_tenant_created_idx ON document_status (tenant_id, created_at DESC);
CREATE INDEX document_status_tenant_cdc_idx ON document_status (tenant_id, cdc);
CREATE INDEX document_status_lote_idx ON document_status (lote_id) WHERE lote_id IS NOT NULL;
