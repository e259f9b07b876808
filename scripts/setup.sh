#!/usr/bin/env bash
# Makes a fresh Debian machine with Node 20 ready for the demo and the tests: the system packages the
# tests use (redis-server, chromium, jq, openssl), pnpm 12.4.2, and the workspace's dependencies from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
command -v redis-server >/dev/null 2>&1 || apt_packages+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || apt_packages+=(redis-tools)
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
# The CLI's cookbook test runs its recipes with jq and curl, and its terminal test with `script` (bsdutils).
command -v jq >/dev/null 2>&1 || apt_packages+=(jq)
command -v curl >/dev/null 2>&1 || apt_packages+=(curl)
command -v script >/dev/null 2>&1 || apt_packages+=(bsdutils)
# The Redis store's TLS test makes its certificates at test time.
command -v openssl >/dev/null 2>&1 || apt_packages+=(openssl)
if [ ${#apt_packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${apt_packages[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${apt_packages[@]}"
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "12.4.2" ]; then
  npm install -g pnpm@12.4.2
fi

pnpm install --frozen-lockfile
