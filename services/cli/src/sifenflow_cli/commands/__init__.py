"""Command groups of the sifenflow CLI, one module each."""
