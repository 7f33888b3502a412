"""Moved to ``sifenflow_common.kude.render`` (shared with the gateway and the mailer); kept as an alias."""

from sifenflow_common.kude.render import *  # noqa: F403
from sifenflow_common.kude.render import _template, default_renderer  # noqa: F401
