"""sifenflow mailer service."""
