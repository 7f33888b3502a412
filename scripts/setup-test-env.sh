#!/usr/bin/env bash
# What `make test` needs beyond .venv/: the Debian packages the tests use, PostgreSQL on
# 127.0.0.1:5432 and a working RabbitMQ on 127.0.0.1:5672. Used by `make test` (so by `.ci/run`).
# Installs missing packages and starts stopped services when run as root; otherwise names what is
# missing in one line and exits 1. When everything is there it only makes a few quick checks.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup-test-env] %s\n' "$*"; }
die() { printf '[setup-test-env] ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [[ "$(id -u)" == 0 ]]; }
pg_up() {
  if command -v pg_isready >/dev/null; then pg_isready -q -h 127.0.0.1 -p 5432
  else (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; fi
}
source scripts/rabbitmq.sh  # rabbit_up, start_rabbit, reset_rabbit

# --- Debian packages -------------------------------------------------------------------------
# xmlsec1: signature cross-checks; poppler-utils: PDF text of KuDEs; libzbar0: QR decoding (pyzbar);
# pango, harfbuzz-subset and DejaVu fonts: weasyprint renders and subsets fonts through them;
# chromium: the console's browser tests (Playwright drives /usr/bin/chromium, never a downloaded one).
packages=(xmlsec1 poppler-utils libzbar0 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core chromium)
pg_up || command -v pg_ctlcluster >/dev/null || packages+=(postgresql)
rabbit_up || command -v rabbitmq-server >/dev/null || packages+=(rabbitmq-server)

installed() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
missing=()
for package in "${packages[@]}"; do installed "$package" || missing+=("$package"); done
if ((${#missing[@]})); then
  if ! is_root || ! command -v apt-get >/dev/null; then
    die "missing Debian packages: ${missing[*]} (install them: sudo apt-get install -y ${missing[*]})"
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi

# --- PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) ----------------------------------
if ! pg_up; then
  is_root || die "PostgreSQL is not accepting connections on 127.0.0.1:5432; start it (sudo pg_ctlcluster <version> main start)"
  log "PostgreSQL is down: starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || die "PostgreSQL did not start: nothing accepts connections on 127.0.0.1:5432"
fi

# --- RabbitMQ on 127.0.0.1:5672 (guest/guest) ------------------------------------------------
if ! rabbit_up; then
  is_root || die "RabbitMQ is not accepting connections on 127.0.0.1:5672; start it (sudo rabbitmq-server -detached)"
  log "RabbitMQ is down: starting it"
  start_rabbit || die "RabbitMQ did not start: nothing accepts connections on 127.0.0.1:5672"
fi
# An open port is not proof of a working broker: a node replaying a damaged quorum store accepts
# connections and never answers. The probe declares, uses and deletes a quorum queue. Only CI
# (SETUP_RESET_BROKER=1, set by .ci/run) resets a broken node: elsewhere the broker may be shared.
[[ -x .venv/bin/python ]] || die ".venv/bin/python is missing: run make install first"
if ! .venv/bin/python scripts/check_broker.py 30; then
  [[ "${SETUP_RESET_BROKER:-}" == 1 ]] && is_root \
    || die "RabbitMQ on 127.0.0.1:5672 accepts connections but cannot run a quorum queue; restart it"
  reset_rabbit || die "RabbitMQ is not accepting connections on 127.0.0.1:5672 after a reset"
  .venv/bin/python scripts/check_broker.py 60 || die "RabbitMQ accepts connections but cannot run a quorum queue"
fi
