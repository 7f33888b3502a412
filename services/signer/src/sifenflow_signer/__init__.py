"""sifenflow signer service."""
