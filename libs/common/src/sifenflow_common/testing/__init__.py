"""Test helpers: eventually(), throw-away databases, fakes."""

from sifenflow_common.testing.eventually import eventually

__all__ = ["eventually"]
