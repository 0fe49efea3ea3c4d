#!/usr/bin/env bash
# Installs Debian's `chromium` (headless Chromium for the end-to-end suite's editor screenshot) when
# /usr/bin/chromium is missing. Playwright's own browser download does not work on machines that reach
# only the npm registry and Debian's mirrors, so playwright-core drives this one
# (executablePath: /usr/bin/chromium).
#
#   bash scripts/e2e/install-chromium.sh      # prints CHROMIUM=/usr/bin/chromium as its last line
#
# Needs root (or sudo) for apt-get when chromium is not there yet; a no-op when it is.
set -euo pipefail

log() { printf '[e2e:chromium] %s\n' "$*" >&2; }
bin=/usr/bin/chromium

if [[ -x "${bin}" ]] && "${bin}" --version >/dev/null 2>&1; then
	log "$("${bin}" --version 2>/dev/null | head -1) already installed"
	echo "CHROMIUM=${bin}"
	exit 0
fi

sudo=""
if [[ "$(id -u)" != 0 ]]; then
	command -v sudo >/dev/null || { log "not root and no sudo: install the Debian package 'chromium' by hand"; exit 1; }
	sudo="sudo"
fi

start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
${sudo} apt-get update -qq
log "apt-get install chromium (and the fonts it needs to draw text)"
${sudo} apt-get install -y -qq --no-install-recommends chromium fonts-liberation fonts-dejavu-core >/dev/null
"${bin}" --version >&2
log "installed in $(($(date +%s) - start)) s"
echo "CHROMIUM=${bin}"
