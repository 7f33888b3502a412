#!/bin/sh
# One-shot `bootstrap` service of docker-compose.yml: the demo emisor (environment simulado, RUC
# 80069563-1, the simulator's registry in sim-registry.json) with a certificate from the test CA the
# simulator trusts, and an admin API key printed once. Does nothing when the emisor exists.
set -eu
if sifenflow tenant show demo >/dev/null 2>&1; then
  echo "el emisor demo ya existe; otra clave API: docker compose run --rm --entrypoint sifenflow bootstrap apikey create --tenant demo --role admin"
  exit 0
fi
password="$(python -c 'import secrets; print(secrets.token_urlsafe(18))')"
sifenflow cert generate --ruc 80069563-1 --name "SIFENFLOW DEMO" --out /tmp/demo.p12 --password "$password"
sifenflow tenant create /config/demo-tenant.json --certificate /tmp/demo.p12 \
  --certificate-password "$password" --api-key-role admin
rm -f /tmp/demo.p12
