-- The periodic recovery sweep (runtime/recovery.py) re-drives a document or lote stream stuck in a
-- waiting state. It records each re-drive here so a stream is re-driven at most
-- RECOVERY_MAX_ATTEMPTS times for one waiting state (stream_version), and not more often than every
-- RECOVERY_AFTER_S: a message an operator parked is not hammered.
CREATE TABLE IF NOT EXISTS recovery_attempts (
    stream_name    text PRIMARY KEY,
    stream_version bigint NOT NULL,
    attempts       integer NOT NULL,
    last_at        timestamptz NOT NULL DEFAULT now()
);

-- The sweep's candidates: documents not in a final state whose read-model row has not moved for a
-- while. A partial index keeps that scan small however many documents reached a final state.
CREATE INDEX IF NOT EXISTS document_status_waiting_idx ON document_status (updated_at)
    WHERE status IN ('requested', 'built', 'signed', 'sending', 'sent', 'send_failed');
