-- Read models of the `search` projection (docs/read-models.md): one row per document with what the
-- search, the exports and the reports show, and two aggregates kept in step with it by triggers, so
-- reports add up a few rows per day instead of scanning documents.
CREATE TABLE document_search (
    tenant_id          uuid NOT NULL,
    document_id        uuid PRIMARY KEY,
    id                 bigint NOT NULL,          -- the gateway's FacturaSend id
    cdc                text,
    document_type      smallint NOT NULL,
    establishment      text NOT NULL,
    expedition_point   text NOT NULL,
    number             text NOT NULL,
    environment        text NOT NULL,            -- simulado | test | produccion, as emitted
    issued_at          timestamptz NOT NULL,     -- the document's fecha (dFeEmiDE)
    issued_on          date NOT NULL,            -- its day in Paraguay
    status             text NOT NULL,
    situacion          smallint NOT NULL,        -- FacturaSend situacion of status
    sifen_code         text,
    lote_id            uuid,
    receptor_ruc       text,                     -- "80069563-1" for contribuyentes
    receptor_document  text,                     -- documento de identidad otherwise
    receptor_name      text,
    receptor_key       text,                     -- lower-case name without accents (prefix search)
    currency           text NOT NULL DEFAULT 'PYG',
    total              numeric,                  -- dTotGralOpe (known once the document is built)
    base10             numeric,
    iva10              numeric,
    base5              numeric,
    iva5               numeric,
    exento             numeric,
    signed_sha256      text,                     -- artifact of the signed XML
    stream_version     bigint NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
) WITH (fillfactor = 80);

-- Newest first, keyset (issued_at, id); one index per selective filter, each in that order.
CREATE INDEX document_search_recent_idx ON document_search (tenant_id, issued_at DESC, id DESC);
CREATE INDEX document_search_situacion_idx
    ON document_search (tenant_id, situacion, issued_at DESC, id DESC);
CREATE INDEX document_search_type_idx ON document_search (tenant_id, document_type, issued_at DESC, id DESC);
CREATE INDEX document_search_ruc_idx ON document_search (tenant_id, receptor_ruc, issued_at DESC, id DESC);
CREATE INDEX document_search_name_idx ON document_search (tenant_id, receptor_key text_pattern_ops);
CREATE INDEX document_search_rucq_idx ON document_search (tenant_id, receptor_ruc text_pattern_ops);
CREATE INDEX document_search_doc_idx ON document_search (tenant_id, receptor_document text_pattern_ops);
CREATE INDEX document_search_cdc_idx ON document_search (tenant_id, cdc text_pattern_ops);
CREATE INDEX document_search_number_idx ON document_search (tenant_id, number);
CREATE INDEX document_search_lote_idx ON document_search (lote_id) WHERE lote_id IS NOT NULL;
CREATE INDEX document_search_env_idx ON document_search (tenant_id, environment, issued_at DESC, id DESC)
    WHERE environment <> 'simulado';

-- Per tenant, day, environment, type, situacion, currency and (rejections only) SIFEN code.
CREATE TABLE document_daily (
    tenant_id      uuid NOT NULL,
    day            date NOT NULL,
    environment    text NOT NULL,
    document_type  smallint NOT NULL,
    situacion      smallint NOT NULL,
    currency       text NOT NULL,
    rejection_code text NOT NULL,                -- '' unless situacion = 4 (Rechazado)
    documents      bigint NOT NULL,
    total          numeric NOT NULL,
    base10         numeric NOT NULL,
    iva10          numeric NOT NULL,
    base5          numeric NOT NULL,
    iva5           numeric NOT NULL,
    exento         numeric NOT NULL,
    PRIMARY KEY (tenant_id, day, environment, document_type, situacion, currency, rejection_code)
);

-- Approved documents (situacion 2 and 3) per receptor and day, and per receptor and month (whole
-- months of a report read the monthly rows, its partial months the daily ones): the top receptors.
CREATE TABLE document_receptor_daily (
    tenant_id     uuid NOT NULL,
    day           date NOT NULL,
    environment   text NOT NULL,
    receptor      text NOT NULL,                 -- RUC, else documento, else ''
    currency      text NOT NULL,
    documents     bigint NOT NULL,
    total         numeric NOT NULL,
    PRIMARY KEY (tenant_id, day, environment, receptor, currency)
);
CREATE TABLE document_receptor_monthly (
    tenant_id     uuid NOT NULL,
    month         date NOT NULL,                 -- its first day
    environment   text NOT NULL,
    receptor      text NOT NULL,
    currency      text NOT NULL,
    documents     bigint NOT NULL,
    total         numeric NOT NULL,
    PRIMARY KEY (tenant_id, month, environment, receptor, currency)
);

CREATE FUNCTION document_search_aggregate(row_ document_search, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO document_daily AS d VALUES (
        row_.tenant_id, row_.issued_on, row_.environment, row_.document_type, row_.situacion,
        row_.currency, CASE WHEN row_.situacion = 4 THEN coalesce(row_.sifen_code, '') ELSE '' END,
        sign, sign * coalesce(row_.total, 0), sign * coalesce(row_.base10, 0), sign * coalesce(row_.iva10, 0),
        sign * coalesce(row_.base5, 0), sign * coalesce(row_.iva5, 0), sign * coalesce(row_.exento, 0))
    ON CONFLICT (tenant_id, day, environment, document_type, situacion, currency, rejection_code)
    DO UPDATE SET documents = d.documents + EXCLUDED.documents, total = d.total + EXCLUDED.total,
        base10 = d.base10 + EXCLUDED.base10, iva10 = d.iva10 + EXCLUDED.iva10,
        base5 = d.base5 + EXCLUDED.base5, iva5 = d.iva5 + EXCLUDED.iva5, exento = d.exento + EXCLUDED.exento;
    IF row_.situacion IN (2, 3) THEN
        INSERT INTO document_receptor_daily AS r VALUES (
            row_.tenant_id, row_.issued_on, row_.environment,
            coalesce(row_.receptor_ruc, row_.receptor_document, ''), row_.currency,
            sign, sign * coalesce(row_.total, 0))
        ON CONFLICT (tenant_id, day, environment, receptor, currency)
        DO UPDATE SET documents = r.documents + EXCLUDED.documents, total = r.total + EXCLUDED.total;
        INSERT INTO document_receptor_monthly AS r VALUES (
            row_.tenant_id, date_trunc('month', row_.issued_on)::date, row_.environment,
            coalesce(row_.receptor_ruc, row_.receptor_document, ''), row_.currency,
            sign, sign * coalesce(row_.total, 0))
        ON CONFLICT (tenant_id, month, environment, receptor, currency)
        DO UPDATE SET documents = r.documents + EXCLUDED.documents, total = r.total + EXCLUDED.total;
    END IF;
END $$;

CREATE FUNCTION document_search_aggregates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM document_search_aggregate(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM document_search_aggregate(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER document_search_aggregates_ins AFTER INSERT OR DELETE ON document_search
    FOR EACH ROW EXECUTE FUNCTION document_search_aggregates();
-- Only changes that move a document between aggregate rows or change its amounts.
CREATE TRIGGER document_search_aggregates_upd AFTER UPDATE ON document_search
    FOR EACH ROW WHEN (
        OLD.situacion IS DISTINCT FROM NEW.situacion OR OLD.total IS DISTINCT FROM NEW.total
        OR OLD.iva10 IS DISTINCT FROM NEW.iva10 OR OLD.iva5 IS DISTINCT FROM NEW.iva5
        OR OLD.base10 IS DISTINCT FROM NEW.base10 OR OLD.base5 IS DISTINCT FROM NEW.base5
        OR OLD.exento IS DISTINCT FROM NEW.exento OR OLD.sifen_code IS DISTINCT FROM NEW.sifen_code
        OR OLD.issued_on IS DISTINCT FROM NEW.issued_on OR OLD.currency IS DISTINCT FROM NEW.currency
        OR OLD.receptor_ruc IS DISTINCT FROM NEW.receptor_ruc
    ) EXECUTE FUNCTION document_search_aggregates();
