"""HTTP handlers, one module per resource; routes.py lists them all."""
