"""The sifenflow command line."""
