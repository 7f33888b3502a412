"""sifenflow gateway service."""
