-- What the input tolerance policy ignored or corrected in each accepted line of a bulk batch
-- ({line, code, path, message}), next to the lines' errors and bounded like them.
ALTER TABLE gateway_bulk_batches ADD COLUMN IF NOT EXISTS warnings jsonb NOT NULL DEFAULT '[]'::jsonb;
