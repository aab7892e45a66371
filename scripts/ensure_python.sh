#!/usr/bin/env bash
# Create the project's virtualenv, installing Debian's python3-venv first if the interpreter lacks venv.
set -euo pipefail
venv="${1:-.venv}"
[ -x "$venv/bin/python" ] && exit 0
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv python3-dev >&2
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip setuptools wheel
