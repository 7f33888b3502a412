-- NOTIFY makes every notifying commit take one cluster-wide lock until its commit is flushed, which
-- serialises concurrent commits (measured: consumer throughput x2.4 without it). Relays and
-- subscriptions poll instead (short interval when idle, no wait while busy).
DROP TRIGGER events_notify_insert ON events;
DROP TRIGGER outbox_notify_insert ON outbox;
DROP FUNCTION events_notify();
DROP FUNCTION outbox_notify();
