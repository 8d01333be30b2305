#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing (redis-server, and
# chromium for the browser tests), then checks formatting, vets and runs every test with
# the race detector. Usage: .ci/test.sh [extra go test flags]
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

files=$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')
unformatted=$(gofmt -l $files)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
go test -race -timeout 9m "$@" ./...
