"""Read models built by projections (run by the store service) and their tenant-scoped queries."""
