"""Legal archive of emitted documents: export (signed XML, SIFEN exchanges) and a SHA-256 manifest."""
