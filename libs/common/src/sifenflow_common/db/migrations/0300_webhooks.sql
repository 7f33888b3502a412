-- Webhook subscriptions and their deliveries (notifier). Deliveries are their own queue, claimed
-- by the notifier with a lease (locked_until), so a slow subscriber never holds a transaction nor
-- the pipeline. One delivery per (subscription, source event): re-consuming an event is a no-op.
CREATE TABLE webhook_subscriptions (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    url            text NOT NULL,
    event_types    text[] NOT NULL,
    secret_sealed  text NOT NULL,
    description    text,
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz
);
CREATE INDEX webhook_subscriptions_tenant_idx ON webhook_subscriptions (tenant_id) WHERE active;

CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions (id),
    tenant_id        uuid NOT NULL,
    event_type       text NOT NULL,
    source_message_id uuid NOT NULL,
    ordering_key     text NOT NULL,   -- document stream (or the delivery id): one in flight per key
    position         bigint NOT NULL DEFAULT 0,  -- source event's stream version: order within a key
    seq              bigint GENERATED ALWAYS AS IDENTITY,
    body             text NOT NULL,   -- the exact JSON sent, signed as is
    status           text NOT NULL DEFAULT 'pending',  -- pending | delivered | failed
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz,
    expires_at       timestamptz NOT NULL,  -- retries stop here (created + 24 h by default)
    last_status_code integer,
    last_error       text,
    last_attempt_at  timestamptz,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subscription_id, source_message_id)
);
CREATE INDEX webhook_deliveries_pending_idx
    ON webhook_deliveries (subscription_id, ordering_key, position, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (subscription_id, created_at DESC);

CREATE TABLE webhook_attempts (
    delivery_id   uuid NOT NULL REFERENCES webhook_deliveries (id),
    attempt       integer NOT NULL,
    attempted_at  timestamptz NOT NULL DEFAULT now(),
    status_code   integer,
    error         text,
    duration_ms   integer NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
