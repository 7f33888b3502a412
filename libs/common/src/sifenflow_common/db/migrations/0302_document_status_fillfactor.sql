-- A document's row is updated about six times on its way to Aprobado. Free space on each page lets
-- PostgreSQL make those HOT updates (no index writes when no indexed column changes).
ALTER TABLE document_status SET (fillfactor = 70);
