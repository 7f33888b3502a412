"""sifenflow notifier service."""
