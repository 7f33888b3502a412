"""sifenflow standalone service."""
