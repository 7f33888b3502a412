"""sifenflow store service."""
