-- The gateway refuses a CDC another document (of any company) already has, before anything is
-- built or numbered: this index answers that lookup by CDC alone.
CREATE INDEX IF NOT EXISTS gateway_documents_cdc_idx ON gateway_documents (cdc);
