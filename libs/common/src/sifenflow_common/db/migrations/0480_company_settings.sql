-- Company self-service: the logo printed on every KuDE of the company (PNG, or SVG sanitised by
-- sifenflow_common.tenants.logo), and numbering kept apart per environment: the test and production
-- environments (and the simulator) each number from 1, so a switch never reuses or skips numbers.
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS logo bytea;
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS logo_media_type text;

ALTER TABLE numbering_counters ADD COLUMN IF NOT EXISTS environment text NOT NULL DEFAULT '';
ALTER TABLE document_numbers ADD COLUMN IF NOT EXISTS environment text NOT NULL DEFAULT '';
-- existing series belong to the environment their company is in today
UPDATE numbering_counters c SET environment = t.environment
  FROM tenants t WHERE t.id = c.tenant_id AND c.environment = '';
UPDATE document_numbers n SET environment = t.environment
  FROM tenants t WHERE t.id = n.tenant_id AND n.environment = '';
ALTER TABLE numbering_counters DROP CONSTRAINT IF EXISTS numbering_counters_pkey;
ALTER TABLE numbering_counters
  ADD PRIMARY KEY (tenant_id, environment, timbrado, establecimiento, punto, tipo_documento);
ALTER TABLE document_numbers DROP CONSTRAINT IF EXISTS document_numbers_pkey;
ALTER TABLE document_numbers
  ADD PRIMARY KEY (tenant_id, environment, timbrado, establecimiento, punto, tipo_documento, numero);
