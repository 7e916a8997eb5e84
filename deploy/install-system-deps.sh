#!/usr/bin/env bash
# Installs the Debian packages heatwatch's demo and tests use: Mosquitto (the
# MQTT broker), socat (the pty pair that stands in for an RS-485 line), the
# PostgreSQL server (the gateway's fleet database) and victoria-metrics (it speaks
# the InfluxDB v2 write API: the gateway's telemetry export is tested against it)
# and chromium (the dispatcher board's browser tests drive it through Playwright),
# systemd's tools (tests/deploy checks the Pi install's unit with systemd-analyze
# verify and makes its user with systemd-sysusers) and openssl (test certificates).
# Tests and the demo start their own broker, throwaway PostgreSQL cluster and
# victoria-metrics on free ports, so none of the system services is needed; the
# database and metrics services are stopped. Mosquitto is left as it is: on a
# Pi the pump side may use it (a pump's Wi-Fi module or a bridge publishing to
# it), and nothing of heatwatch's needs port 1883 free.
set -euo pipefail
need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v socat >/dev/null 2>&1 || need+=(socat)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
command -v victoria-metrics >/dev/null 2>&1 || [ -x /usr/bin/victoria-metrics ] || need+=(victoria-metrics)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "heatwatch needs these Debian packages: ${need[*]}; run as root or: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Likewise victoria-metrics on :8428 (tests/gateway/test_telemetry_influx.py starts its own).
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now victoria-metrics >/dev/null 2>&1 || true; fi
# Debian creates a cluster and starts it on :5432; the tests start their own
# (tests/gateway/pg_cluster.py) and never use it.
if [[ " ${need[*]} " == *" postgresql "* ]]; then
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now postgresql >/dev/null 2>&1 || true; fi
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters -h 2>/dev/null | while read -r version name _port status _; do
      if [[ "$status" == online* ]]; then pg_ctlcluster "$version" "$name" stop >/dev/null 2>&1 || true; fi
    done
  fi
fi
