"""``python -m sifenflow_mailer``: run the mailer service with settings from the environment."""

from __future__ import annotations

from sifenflow_common.runtime.settings import load_settings
from sifenflow_mailer.service import main as run


def main() -> None:
    run(load_settings(service_name="mailer"))


if __name__ == "__main__":
    main()
