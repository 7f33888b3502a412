"""Signed webhooks: event types, HMAC signatures, URL policy, subscriptions and deliveries."""
