"""sifenflow sender service."""
