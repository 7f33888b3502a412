"""Transactional outbox (writer, relay) and inbox (dedupe by message_id)."""
