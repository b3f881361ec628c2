#!/usr/bin/env bash
# Makes a Debian/Ubuntu machine ready to run and test EdgeWatt: pnpm, nats-server, Chromium (for the portal's
# browser tests) and a local PostgreSQL reachable as postgres@127.0.0.1:5432 without a password (tests create
# and drop their own databases there). Installs only what is missing and starts PostgreSQL if it is stopped.
# Meant for development and CI machines, not for a production database host.
set -euo pipefail

PNPM_VERSION=10.34.8
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
updated=0
apt_install() {
  if [ "$updated" -eq 0 ]; then $SUDO apt-get update -qq; updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
say() { printf '[bootstrap] %s\n' "$*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  say "Node.js 20 or newer is required (found: $(node -v 2>/dev/null || echo none)). Install it first, e.g. from https://nodejs.org or NodeSource."
  exit 1
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v 2>/dev/null)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  $SUDO npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
  hash -r
fi

if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
  say "installing nats-server"
  apt_install nats-server
fi

if [ ! -x /usr/bin/chromium ]; then
  say "installing chromium"
  apt_install chromium
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  say "installing postgresql"
  apt_install postgresql
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  say "starting postgresql"
  version=$(ls /etc/postgresql | sort -n | tail -1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! psql "postgres://postgres@127.0.0.1:5432/postgres" -Atqc 'select 1' >/dev/null 2>&1; then
  say "allowing passwordless connections for user postgres from 127.0.0.1 (test databases only)"
  version=$(ls /etc/postgresql | sort -n | tail -1)
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  $SUDO sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  sleep 1
fi
psql "postgres://postgres@127.0.0.1:5432/postgres" -Atqc 'select 1' >/dev/null
say "ready: node $(node -v), pnpm $(pnpm -v), $(nats-server --version 2>/dev/null || /usr/sbin/nats-server --version), chromium, postgres at 127.0.0.1:5432"
