"""Gateway configuration: the shared Settings plus the gateway's own limits, read once."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from sifenflow_common.runtime.settings import Settings


class GatewaySettings(Settings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_file=None)

    service_name: str = "gateway"
    # master_key (shared Settings) seals tenant secrets and authorises /admin; older keys still open
    # values sealed before a rotation.
    old_master_keys: tuple[SecretStr, ...] = ()
    sim_base_url: str = "http://127.0.0.1:8090"
    # New and edited simulado companies are registered in the simulator's admin API (its URL, by
    # default sim_base_url, and the token it requires); their test certificates come from this CA
    # directory (default $SIFENFLOW_TEST_CA_DIR or ~/.sifenflow/test-ca, as the simulator's).
    sim_admin_url: str | None = None
    sifen_sim_admin_token: SecretStr | None = None
    test_ca_dir: Path | None = None
    public_url: str = "http://127.0.0.1:8080"
    # Where mailed sign-in links point: ``<base><token>``. Unset: PUBLIC_URL/auth/enlace/ (the API's
    # confirm page); the web console sets its own confirm page (PUBLIC_URL/consola/ingreso/).
    signin_link_base: str | None = None
    max_body_bytes: int = 2 * 1024 * 1024  # JSON requests (one lote of 50 fits easily)
    max_bulk_bytes: int = 64 * 1024 * 1024  # NDJSON bulk of up to 10,000 documents
    max_bulk_documents: int = 10_000
    max_lote_documents: int = 50
    rate_limit_per_second: float = 50.0  # per API key, sustained
    rate_limit_burst: int = 200  # per API key, bucket size
    sync_wait_seconds: float = 15.0  # de/create waits this long for SIFEN's answer
    artifact_wait_seconds: float = 5.0  # xml=true / qr=true wait this long for the signed XML
    # Idempotency-Keys older than this are forgotten (a retry after that is a new request); 0 = never
    idempotency_ttl_hours: float = 24.0
    resume_bulk_on_start: bool = True  # pick up bulk batches a stopped gateway left unfinished
    # GET /test answers this text/plain body; FacturaSend's clients compare it literally (its current
    # documentation prints "FacturaSend funciona."; its older "FacturAPI" draft, "FacturAPI funciona.")
    test_text: str = "FacturaSend funciona."
    error_limit: int = 3  # like FacturaSend's configSetApi.errorLimit for `error`; `errores` has all
    tls_cert_file: Path | None = Field(
        default=None, description="PEM certificate chain: with tls_key_file the gateway serves HTTPS"
    )
    tls_key_file: Path | None = Field(default=None, description="PEM private key of tls_cert_file")
    hsts_max_age_s: int = Field(
        default=31_536_000, ge=0, description="Strict-Transport-Security max-age, sent over HTTPS only"
    )
    trust_forwarded_proto: bool = Field(
        default=False,
        description="behind a TLS-terminating ingress: X-Forwarded-Proto: https counts as HTTPS (HSTS)",
    )

    # users (docs/users.md): one-time links by email, OpenID Connect, cookie sessions
    signin_link_ttl_minutes: float = Field(default=15.0, gt=0, description="life of an emailed sign-in link")
    invitation_ttl_hours: float = Field(default=72.0, gt=0, description="life of an emailed invitation")
    access_ttl_minutes: float = Field(default=10.0, gt=0, description="life of a session's access token")
    refresh_ttl_hours: float = Field(default=24.0 * 7, gt=0, description="life of each refresh token")
    session_ttl_hours: float = Field(default=24.0 * 30, gt=0, description="a session's absolute lifetime")
    cookie_secure: bool = Field(
        default=False, description="session cookies always Secure (they are anyway when served over HTTPS)"
    )
    auth_smtp_host: str | None = Field(default=None, description="SMTP for sign-in links and invitations")
    auth_smtp_port: int = 587
    auth_smtp_tls: str = Field(default="starttls", pattern="^(none|starttls|tls)$")
    auth_smtp_username: str | None = None
    auth_smtp_password: SecretStr | None = None
    auth_smtp_from: str = "sifenflow <no-reply@sifenflow.local>"
    oidc_issuer: str | None = Field(default=None, description="OpenID Connect issuer URL: SSO when set")
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_url: str | None = Field(
        default=None, description="this gateway's /auth/oidc/retorno as registered at the provider"
    )
    oidc_scopes: str = "openid email profile"

    def master_key_text(self) -> str:
        return self.master_key.get_secret_value() if self.master_key is not None else ""
