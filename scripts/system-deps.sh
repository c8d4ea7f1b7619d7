#!/usr/bin/env bash
# Debian packages the test suite and reports use: headless Chromium (browser tests),
# poppler-utils (PDF pages to PNG), pango/harfbuzz (WeasyPrint PDF), PostgreSQL (store tests).
# Installs only what is missing; without root it prints what to install and carries on (the
# tests that need a missing package skip with a reason).
set -uo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
for lib in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0; do
  dpkg -s "$lib" >/dev/null 2>&1 || need+=("$lib")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "Missing Debian packages (tests that need them will skip): ${need[*]}" >&2
  echo "  install with: sudo apt-get install -y ${need[*]}" >&2
fi
exit 0
