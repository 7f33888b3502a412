"""Shared code of sifenflow: SIFEN core, message contracts, event store, bus, runtime."""
