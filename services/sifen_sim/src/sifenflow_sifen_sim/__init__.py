"""sifenflow sifen_sim service."""
