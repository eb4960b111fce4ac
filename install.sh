#!/usr/bin/env bash
# Set up the project in a virtual environment, .venv/ (PEP 668: never into the system's Python).
#   ./install.sh          install the project (as a user would: a real, non-editable install)
#   ./install.sh --dev    install it editable, with what the tests need (the `test` extra)
# Works with Debian's own python3 and with any Python >= 3.11 first on PATH. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "install.sh: needs Python 3.11 or later as '$python' (set PYTHON=...)" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv 2>/dev/null; then
    # Debian ships venv's pip bootstrap separately.
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "install.sh: installing python3-venv (Debian)" >&2
      DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      "$python" -m venv .venv
    else
      echo "install.sh: '$python -m venv' failed; install your distribution's venv package (python3-venv)" >&2
      exit 2
    fi
  fi
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "${1:-}" = "--dev" ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
else
  .venv/bin/python -m pip install -q .
fi
echo "install.sh: ready: .venv/bin/lineage ($(.venv/bin/lineage --version))" >&2
