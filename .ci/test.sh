#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing (redis-server,
# python3 for smtplib, chromium and axe-core for the browser tests), then checks
# formatting, vets and runs every test with the race detector.
# Usage: .ci/test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PATH:/usr/local/go/bin"

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing $*" >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

command -v redis-server >/dev/null || apt_install redis-server
command -v python3 >/dev/null || apt_install python3  # the SMTP server is tested with smtplib

# Browser tests: Debian's Chromium, and axe-core from npm in a cache folder outside the
# repository (web/webtest reads FRONTDESK_AXE). Missing tools make those tests fail
# with the command that installs them; they are never skipped.
export FRONTDESK_CHROMIUM="${FRONTDESK_CHROMIUM:-/usr/bin/chromium}"
[ -x "$FRONTDESK_CHROMIUM" ] || apt_install chromium
AXE_VERSION=4.11.4
axe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/frontdesk/axe"
export FRONTDESK_AXE="${FRONTDESK_AXE:-$axe_dir/node_modules/axe-core/axe.min.js}"
if [ ! -f "$FRONTDESK_AXE" ]; then
  command -v npm >/dev/null || apt_install npm
  echo "installing axe-core $AXE_VERSION into $axe_dir" >&2
  mkdir -p "$axe_dir"
  npm install --silent --no-audit --no-fund --prefix "$axe_dir" "axe-core@$AXE_VERSION" >/dev/null
fi

files=$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')
unformatted=$(gofmt -l $files)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
go test -race -timeout 9m "$@" ./...
