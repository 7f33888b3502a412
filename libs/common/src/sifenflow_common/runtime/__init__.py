"""Worker runtime: settings, logging, the consumer pattern and ``run_service``."""
