"""`sifenflow run` start guards: one instance per data directory, and a port left in TIME_WAIT by
an instance just stopped is free."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from sifenflow_cli.commands.run import _port_free
from sifenflow_cli.main import cli
from sifenflow_standalone.datadir_lock import DataDirInUseError, lock_data_dir, release

pytestmark = pytest.mark.unit


def test_second_lock_on_a_data_dir_is_refused_naming_the_holder(tmp_path: Path) -> None:
    held = lock_data_dir(tmp_path / "data")
    try:
        with pytest.raises(DataDirInUseError) as refused:
            lock_data_dir(tmp_path / "data")
        assert refused.value.pid == str(os.getpid())
    finally:
        release(held)
    release(lock_data_dir(tmp_path / "data"))  # free again once released


def test_run_on_a_locked_data_dir_exits_with_a_clear_error(tmp_path: Path) -> None:
    held = lock_data_dir(tmp_path)
    try:
        result = CliRunner().invoke(cli, ["run", "--data-dir", str(tmp_path), "--port", "1"])
    finally:
        release(held)
    assert result.exit_code == 2
    error = json.loads(result.output.strip().splitlines()[-1])
    assert error["code"] == "DATOS_EN_USO" and error["path"] == "data-dir"
    assert f"pid {os.getpid()}" in error["message"] and "en uso" in error["message"]


def test_a_port_in_time_wait_is_free_and_a_listening_one_is_not() -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    assert not _port_free("127.0.0.1", port)
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = listener.accept()
    served.close()  # the server side closes first: its end of the connection goes to TIME_WAIT
    client.recv(1)
    client.close()
    listener.close()
    with socket.socket() as plain, pytest.raises(OSError):  # the check before: refused in TIME_WAIT
        plain.bind(("127.0.0.1", port))
    assert _port_free("127.0.0.1", port)
