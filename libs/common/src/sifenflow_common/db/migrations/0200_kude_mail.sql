-- Per-tenant KuDE / mail settings (issue 7) and the KuDE cache.
-- tenants.smtp (0100) keeps the non-secret SMTP settings (host, port, security, user, from);
-- the SMTP password is sealed (AES-GCM, sifenflow_common.crypto) with AD "tenant:<id>:smtp_password".
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS smtp_password_sealed text;
-- true: the kude service renders the KuDE as soon as a document is approved
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS kude_eager boolean NOT NULL DEFAULT false;

-- Rendered KuDEs: (document, format) -> PDF artifact. Filled by whoever renders first (kude service
-- on approval, mailer for an email, gateway on first request); every read filters by tenant.
CREATE TABLE IF NOT EXISTS kude_pdfs (
    tenant_id   uuid NOT NULL,
    document_id uuid NOT NULL,
    format      text NOT NULL CHECK (format IN ('a4', 'ticket')),
    pdf_sha256  text NOT NULL REFERENCES artifacts (sha256),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, format)
);
CREATE INDEX IF NOT EXISTS kude_pdfs_tenant_idx ON kude_pdfs (tenant_id, document_id);
