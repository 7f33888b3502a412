"""sifenflow kude service."""
