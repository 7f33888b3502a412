"""Per-tenant mail settings: validation of the admin API / CLI input (stable codes, JSON paths,
Spanish messages) and what an update keeps or removes."""

from __future__ import annotations

import pytest

from sifenflow_common.tenants.mail import MailInput, SmtpConfig, parse_mail_input

pytestmark = pytest.mark.unit
GOOD = {"host": "smtp.empresa.com.py", "port": 465, "security": "tls", "from": "facturas@empresa.com.py"}


def test_full_settings_are_parsed() -> None:
    data, issues = parse_mail_input(
        {"smtp": dict(GOOD, user="facturas", password="s3creta", fromName="Empresa S.A."), "kudeEager": True}
    )
    assert issues == []
    assert isinstance(data, MailInput) and isinstance(data.smtp, SmtpConfig)
    assert (data.smtp.host, data.smtp.port, data.smtp.security) == ("smtp.empresa.com.py", 465, "tls")
    assert (data.smtp.username, data.smtp.from_name) == ("facturas", "Empresa S.A.")
    assert data.password == "s3creta"
    assert data.kude_eager is True
    assert "s3creta" not in repr(data.smtp)


def test_defaults_are_starttls_on_587() -> None:
    data, _ = parse_mail_input({"smtp": {"host": "10.0.0.5", "from": "a@b.com.py"}})
    assert data is not None and isinstance(data.smtp, SmtpConfig)
    assert (data.smtp.port, data.smtp.security) == (587, "starttls")


@pytest.mark.parametrize(
    ("smtp", "code", "path"),
    [
        (dict(GOOD, host="no host"), "SMTP_HOST_INVALIDO", "smtp.host"),
        (dict(GOOD, port=0), "SMTP_PUERTO_INVALIDO", "smtp.port"),
        (dict(GOOD, port="25"), "SMTP_PUERTO_INVALIDO", "smtp.port"),
        (dict(GOOD, security="ssl"), "SMTP_SEGURIDAD_INVALIDA", "smtp.security"),
        (dict(GOOD, **{"from": "facturas"}), "SMTP_REMITENTE_INVALIDO", "smtp.from"),
        (dict(GOOD, password=123), "CAMPO_INVALIDO", "smtp.password"),
    ],
)
def test_bad_fields_have_code_and_path(smtp: dict[str, object], code: str, path: str) -> None:
    data, issues = parse_mail_input({"smtp": smtp})
    assert data is None
    assert [(i.code, i.path) for i in issues] == [(code, path)]
    assert issues[0].message  # Spanish text for the integrator


def test_unknown_fields_and_bad_flag_are_rejected() -> None:
    assert parse_mail_input({"smtpp": {}})[1][0].code == "CAMPO_DESCONOCIDO"
    assert parse_mail_input({"kudeEager": "si"})[1][0].path == "kudeEager"
    assert parse_mail_input([])[1][0].code == "JSON_INVALIDO"


def test_null_smtp_removes_settings_and_password_omitted_keeps_it() -> None:
    removed, _ = parse_mail_input({"smtp": None})
    assert removed is not None and removed.smtp is None and removed.password is None
    kept, _ = parse_mail_input({"smtp": GOOD})
    assert kept is not None and isinstance(kept.smtp, SmtpConfig)
    assert not isinstance(kept.password, str) and kept.password is not None  # keep the stored one
    only_flag, _ = parse_mail_input({"kudeEager": False})
    assert (
        only_flag is not None and not isinstance(only_flag.smtp, SmtpConfig) and only_flag.kude_eager is False
    )
