#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing. Idempotent: does nothing
# when a Chromium is already on PATH (or LEADLENS_CHROMIUM points at one).
set -euo pipefail
if [ -n "${LEADLENS_CHROMIUM:-}" ] && [ -x "${LEADLENS_CHROMIUM}" ]; then exit 0; fi
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then exit 0; fi
done
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "chromium is missing and this user cannot install it: run 'apt-get install chromium' as root" >&2; exit 1
  fi
fi
echo "installing Debian's chromium for the browser tests (apt-get)…"
export DEBIAN_FRONTEND=noninteractive
for i in 1 2 3; do
  if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null; then
    break
  fi
  [ "$i" = 3 ] && { echo "apt-get install chromium failed three times" >&2; exit 1; }
  sleep $((i * 5))
done
command -v chromium >/dev/null
chromium --version
