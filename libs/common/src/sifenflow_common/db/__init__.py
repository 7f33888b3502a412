"""Postgres access: pool and the migration runner (plain SQL files in ``migrations/``)."""
