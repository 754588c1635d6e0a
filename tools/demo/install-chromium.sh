#!/usr/bin/env bash
# Installs Debian's chromium for the demo report's browser test (headless; driven by the playwright
# package from the dev group with executable_path, so no browser download from elsewhere is needed).
# Idempotent: does nothing when chromium is already there. Needs root for apt-get (as on CI).
#
#   tools/demo/install-chromium.sh        # prints the chromium path
set -euo pipefail
for candidate in "${CHROMIUM:-}" chromium chromium-browser; do
  if [[ -n $candidate ]] && command -v "$candidate" >/dev/null 2>&1; then
    command -v "$candidate"
    exit 0
  fi
done
if [[ $EUID -ne 0 ]]; then
  echo "install-chromium: chromium is missing and we are not root: apt-get install chromium" >&2
  exit 1
fi
echo "install-chromium: installing Debian chromium (apt-get update && apt-get install -y chromium)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium >&2
command -v chromium
