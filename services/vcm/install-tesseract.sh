#!/usr/bin/env bash
# Installs Debian's tesseract-ocr (with its English data) so VCM OCRs scanned PDFs and its OCR
# test runs (services/vcm/tests/test_ocr.py). Idempotent and fast when tesseract is on the PATH
# already. Needs root for apt-get (as on CI).
#
#   services/vcm/install-tesseract.sh      # prints the tesseract path
set -euo pipefail
if command -v tesseract >/dev/null 2>&1; then
  command -v tesseract
  exit 0
fi
if [[ $EUID -ne 0 ]]; then
  echo "install-tesseract: tesseract is missing and we are not root: apt-get install tesseract-ocr" >&2
  exit 1
fi
echo "install-tesseract: installing Debian tesseract-ocr (apt-get update && apt-get install -y tesseract-ocr)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 tesseract-ocr tesseract-ocr-eng >&2
command -v tesseract
