#!/usr/bin/env bash
# Installs what callscope's make targets need, idempotently: run it as often
# as you like; it only installs what is missing.
#
#   scripts/setup.sh demo   Go modules only (the demo needs nothing else)
#   scripts/setup.sh test   + Debian packages the test suite uses, Azurite (npm ci), staticcheck
#   scripts/setup.sh bench  + ffmpeg (the peer of the whole-program benchmark)
#
# Debian packages (apt-get, as root or through sudo):
#   asterisk-core-sounds-{en,it,fr,es}-wav, asterisk-moh-opsound-wav  speech (2 h) and music for the DTMF talk-off test
#   chromium                                               headless rendering test of the HTML report
#   jupyter-nbconvert python3-nbclient python3-ipykernel python3-pandas jupyter-client   notebooks
#   nodejs npm                                             Azurite (tools/azurite, pinned by package-lock.json)
#   ffmpeg (bench only)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
what=${1:-test}
STATICCHECK_VERSION=v0.8.2

log() { printf 'setup: %s\n' "$*" >&2; }

need_go() {
	command -v go >/dev/null || { log "Go is required (https://go.dev/dl), 1.26 or newer"; exit 1; }
	go mod download
}

apt_install() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	log "apt-get install ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

npm_ci() {
	local dir=tools/azurite stamp=tools/azurite/node_modules/.callscope-lock
	local want
	want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/node_modules/.bin/azurite" ]; then
		return 0
	fi
	command -v npm >/dev/null || apt_install nodejs npm
	log "npm ci in $dir (Azurite)"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	echo "$want" >"$stamp"
}

staticcheck() {
	if [ -x bin/staticcheck ] && bin/staticcheck -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
		return 0
	fi
	log "go install staticcheck@$STATICCHECK_VERSION into bin/"
	GOBIN="$root/bin" go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
}

case "$what" in
demo)
	need_go
	;;
test)
	need_go
	apt_install asterisk-core-sounds-en-wav asterisk-core-sounds-it-wav asterisk-core-sounds-fr-wav \
		asterisk-core-sounds-es-wav asterisk-moh-opsound-wav chromium \
		jupyter-nbconvert python3-nbclient python3-ipykernel python3-pandas jupyter-client
	npm_ci
	staticcheck
	;;
bench)
	need_go
	apt_install ffmpeg
	;;
*)
	log "usage: scripts/setup.sh demo|test|bench"
	exit 2
	;;
esac
