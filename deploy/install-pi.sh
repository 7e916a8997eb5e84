#!/usr/bin/env bash
# Install the heatwatch edge agent on a Raspberry Pi (or any Debian-like Linux box beside a pump).
#
# Supported: Raspberry Pi OS / Debian 12 (bookworm) or later, Ubuntu 24.04 or later: any OS with
# Python 3.11+ and systemd. Architectures: aarch64 (64-bit OS on a Pi 3, 4, 5, Zero 2 W; every
# dependency has a PyPI wheel), armv7l (32-bit Raspberry Pi OS on a Pi 2-5 or Zero 2 W; numpy comes
# from piwheels, which Raspberry Pi OS configures in /etc/pip.conf), x86_64 (an industrial PC).
# Not armv6l (Pi 1, Zero, Zero W): no numpy/pydantic wheels, and building them there takes hours.
#
# What it does (docs/install-pi.md):
#   - the service user `heatwatch` (a systemd-sysusers entry; member of dialout for the RS-485 adapter)
#   - a venv in /opt/heatwatch/venv with heatwatch[edge] (the agent only: no gateway, no simulator)
#   - /etc/heatwatch (edge.toml, certificates; readable by root and the heatwatch group only)
#   - /var/lib/heatwatch (outbox and detector state; the heatwatch user's)
#   - /etc/systemd/system/heatwatch-edge.service, enabled; started when /etc/heatwatch/edge.toml exists
# It installs no broker and never stops or disables one: a Mosquitto the pump side uses stays as it is.
#
# Usage: sudo deploy/install-pi.sh [--config edge.toml] [--ca ca.crt] [--cert client.crt --key client.key]
#          [--package SPEC] [--pip-args "ARGS"] [--root DIR] [--no-start] [--any-platform]
#   --package   what pip installs (default: this repository, as PATH[edge]); e.g. a wheel file
#   --pip-args  extra pip arguments, e.g. "--no-index --find-links /media/usb/wheels" (offline Pi)
#   --root      install into DIR instead of / (an image being built, or a test); nothing is enabled
#               or started, the unit is checked with `systemd-analyze verify --root`
set -euo pipefail

ROOT=/
CONFIG="" CA="" CERT="" KEY=""
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PACKAGE="$(dirname "$HERE")[edge]"
PIP_ARGS=""
START=1
ANY_PLATFORM=0
PYTHON="${PYTHON:-python3}"
SERVICE=heatwatch-edge.service

die() { echo "install-pi: $*" >&2; exit 2; }
say() { echo "install-pi: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --config) CONFIG="${2:?}"; shift 2 ;;
    --ca) CA="${2:?}"; shift 2 ;;
    --cert) CERT="${2:?}"; shift 2 ;;
    --key) KEY="${2:?}"; shift 2 ;;
    --package) PACKAGE="${2:?}"; shift 2 ;;
    --pip-args) PIP_ARGS="${2:-}"; shift 2 ;;
    --no-start) START=0; shift ;;
    --any-platform) ANY_PLATFORM=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
ROOT="$(realpath -m "$ROOT")"
LIVE=0; [ "$ROOT" = / ] && LIVE=1
R="${ROOT%/}"  # prefix for paths: "" on a live system

# ---- checks: one line each, before anything is changed ----------------------------------
[ "$(id -u)" -eq 0 ] || [ "$LIVE" -eq 0 ] || die "run as root (sudo $0 ...)"
for f in "$CONFIG" "$CA" "$CERT" "$KEY"; do
  [ -z "$f" ] || [ -r "$f" ] || die "$f: no such file (or not readable)"
done
[ -z "$KEY" ] || [ -n "$CERT" ] || die "--key needs --cert (the client certificate)"
[ -z "$CERT" ] || [ -n "$KEY" ] || die "--cert needs --key"
if command -v openssl >/dev/null 2>&1; then
  for f in "$CA" "$CERT"; do
    [ -z "$f" ] || openssl x509 -noout -in "$f" >/dev/null 2>&1 || die "$f: not a PEM certificate"
  done
  [ -z "$KEY" ] || openssl pkey -noout -in "$KEY" >/dev/null 2>&1 || die "$KEY: not a PEM private key"
fi
arch="$(uname -m)"
case "$arch" in
  aarch64|arm64|armv7l|x86_64) ;;
  *) [ "$ANY_PLATFORM" -eq 1 ] || die "architecture $arch is not supported (aarch64, armv7l, x86_64; --any-platform to try anyway)" ;;
esac
if [ -r /etc/os-release ]; then
  # shellcheck disable=SC1091
  . /etc/os-release
  case "${ID:-}:${VERSION_ID:-}" in
    debian:1[2-9]*|raspbian:1[2-9]*|ubuntu:2[4-9].*|ubuntu:[3-9]*) ;;
    *) [ "$ANY_PLATFORM" -eq 1 ] || die "${PRETTY_NAME:-this OS} is not supported (Debian/Raspberry Pi OS 12+, Ubuntu 24.04+; --any-platform to try anyway)" ;;
  esac
fi
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found: apt-get install python3"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "$("$PYTHON" -V 2>&1) is too old: heatwatch needs Python 3.11 or later"
"$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 || die "Python's venv is missing: apt-get install python3-venv"
command -v systemd-sysusers >/dev/null 2>&1 || die "systemd-sysusers not found: this needs a systemd system"

# ---- the service user ---------------------------------------------------------------------
install -d -m 0755 "$R/usr/lib/sysusers.d" "$R/etc/systemd/system" "$R/opt/heatwatch"
cat > "$R/usr/lib/sysusers.d/heatwatch.conf" <<'EOF'
# the heatwatch edge agent's service user; dialout: the RS-485 (USB serial) adapter
u heatwatch - "heatwatch edge agent" /var/lib/heatwatch /usr/sbin/nologin
m heatwatch dialout
EOF
if [ "$LIVE" -eq 1 ]; then systemd-sysusers heatwatch.conf; else systemd-sysusers --root="$ROOT" heatwatch.conf; fi
uid="$(awk -F: '$1 == "heatwatch" {print $3}' "$R/etc/passwd")"
gid="$(awk -F: '$1 == "heatwatch" {print $4}' "$R/etc/passwd")"
[ -n "$uid" ] || die "the heatwatch user was not created in $R/etc/passwd"
own() { if [ "$(id -u)" -eq 0 ]; then chown "$1" "${@:2}"; fi; }

# ---- directories, configuration, certificates ---------------------------------------------
install -d -m 0750 "$R/etc/heatwatch" "$R/var/lib/heatwatch"
own "0:$gid" "$R/etc/heatwatch"
own "$uid:$gid" "$R/var/lib/heatwatch"
place() {  # place SRC NAME MODE: into /etc/heatwatch, root-owned, group heatwatch
  install -m "$3" "$1" "$R/etc/heatwatch/$2"
  own "0:$gid" "$R/etc/heatwatch/$2"
  say "placed /etc/heatwatch/$2"
}
[ -z "$CA" ] || place "$CA" ca.crt 0644
[ -z "$CERT" ] || place "$CERT" client.crt 0644
[ -z "$KEY" ] || place "$KEY" client.key 0640
install -m 0644 "$HERE/edge-serial.toml" "$R/etc/heatwatch/edge.toml.example"
if [ -n "$CONFIG" ]; then
  place "$CONFIG" edge.toml 0640
elif [ ! -e "$R/etc/heatwatch/edge.toml" ]; then
  say "no --config: write /etc/heatwatch/edge.toml (see edge.toml.example), then: systemctl start heatwatch-edge"
fi

# ---- the agent in its own venv ------------------------------------------------------------
VENV="$R/opt/heatwatch/venv"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
say "installing $PACKAGE into /opt/heatwatch/venv (a few minutes on a Pi)"
# shellcheck disable=SC2086  # PIP_ARGS is a list of arguments
"$VENV/bin/pip" install --quiet --disable-pip-version-check $PIP_ARGS "$PACKAGE"
[ -x "$VENV/bin/heatwatch" ] || die "pip did not install the heatwatch command into $VENV/bin"

if [ "$LIVE" -eq 1 ] && [ -e /etc/heatwatch/edge.toml ]; then  # the agent's own check: one line naming the mistake
  "$VENV/bin/python" -c 'import sys; from heatwatch.edge.config import ConfigError, load_config
try:
    load_config("/etc/heatwatch/edge.toml")
except ConfigError as exc:
    sys.exit(f"install-pi: config error: {exc}")' || exit 2
fi

# ---- the systemd unit -----------------------------------------------------------------------
install -m 0644 "$HERE/$SERVICE" "$R/etc/systemd/system/$SERVICE"
if command -v systemd-analyze >/dev/null 2>&1; then
  if [ "$LIVE" -eq 1 ]; then systemd-analyze verify "$SERVICE"; else systemd-analyze verify --root="$ROOT" "$SERVICE"; fi \
    || die "systemd-analyze verify refused $R/etc/systemd/system/$SERVICE"
  say "systemd-analyze verify: $SERVICE is fine"
fi
if [ "$LIVE" -eq 1 ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable "$SERVICE"
  if [ "$START" -eq 1 ] && [ -e /etc/heatwatch/edge.toml ]; then
    systemctl restart "$SERVICE"
    say "started; follow it with: journalctl -u heatwatch-edge -f"
  fi
fi
say "done: heatwatch $("$VENV/bin/python" -c 'from importlib.metadata import version; print(version("heatwatch"))' 2>/dev/null || echo '?') in /opt/heatwatch/venv${R:+ under $R}"
