"""sifenflow builder service."""
