#!/usr/bin/env bash
# Installs checkov (the security linter over the chart's rendered manifests) into .tools/checkov, a
# virtualenv of its own: checkov pins dozens of libraries that must not constrain the workspace's uv.lock.
# Idempotent: does nothing when the pinned version is already there.
#
#   tools/deploy/install-checkov.sh        # prints the checkov path
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION="${CHECKOV_VERSION:-3.3.30}"
VENV=".tools/checkov"
BIN="$VENV/bin/checkov"
UV="python3 -m uv"

if [[ -x $BIN ]] && [[ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("checkov"))' 2>/dev/null)" == "$VERSION" ]]; then
  echo "$BIN"
  exit 0
fi
echo "install-checkov: installing checkov $VERSION into $VENV" >&2
$UV venv --quiet --allow-existing --python 3.11 "$VENV" >&2
$UV pip install --quiet --python "$VENV/bin/python" "checkov==$VERSION" >&2
"$BIN" --version >/dev/null
echo "$BIN"
