"""Pure SIFEN core: document model, CDC, totals, XML, XSD, signature, QR, SOAP payloads.

Nothing in this package does network or database I/O (checked by import-linter in `make lint`).
"""
