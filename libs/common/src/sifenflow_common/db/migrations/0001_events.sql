-- Append-only event store (style §5). Readers follow (transaction_id, global_position) below
-- pg_snapshot_xmin so a transaction that commits late is never skipped.
CREATE TABLE events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_name     text NOT NULL,
    category        text NOT NULL GENERATED ALWAYS AS (split_part(stream_name, '-', 1)) STORED,
    stream_version  bigint NOT NULL CHECK (stream_version > 0),
    message_id      uuid NOT NULL,
    type            text NOT NULL,
    schema_version  smallint NOT NULL,
    tenant_id       uuid NOT NULL,
    data            jsonb NOT NULL,
    metadata        jsonb NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_stream_name_stream_version_key UNIQUE (stream_name, stream_version),
    CONSTRAINT events_message_id_key UNIQUE (message_id)
);

CREATE INDEX events_transaction_position_idx ON events (transaction_id, global_position);
CREATE INDEX events_category_transaction_position_idx ON events (category, transaction_id, global_position);

CREATE FUNCTION events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only: % rejected', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_reject_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_reject_change();

-- Wake subscriptions at commit (a notification is delivered only if the transaction commits).
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sifenflow_events', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_notify_insert AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify();

CREATE TABLE subscription_checkpoints (
    name                text PRIMARY KEY,
    last_transaction_id xid8 NOT NULL DEFAULT '0',
    last_position       bigint NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
