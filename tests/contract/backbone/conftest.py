"""Backbone fixtures (real PostgreSQL and RabbitMQ), shared with tests/backbone_support.py."""

from tests.backbone_support import bb_template, database

__all__ = ["bb_template", "database"]
