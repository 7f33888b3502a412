"""``python -m sifenflow_kude``: run the kude service with settings from the environment."""

from __future__ import annotations

import asyncio

from sifenflow_common.runtime.settings import load_settings
from sifenflow_kude.service import serve


def main() -> None:
    asyncio.run(serve(load_settings(service_name="kude")))


if __name__ == "__main__":
    main()
