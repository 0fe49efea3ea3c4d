#!/usr/bin/env bash
# PostgreSQL and Redis for n8n's queue mode, from Debian's packages.
#
#   bash scripts/real-n8n/queue-services.sh install   # apt-get install what is missing (as root)
#   bash scripts/real-n8n/queue-services.sh paths     # print POSTGRES_BIN_DIR=... and REDIS_SERVER=...
#
# The servers themselves are started by test/real-n8n/queue.ts as the test's own processes, on free
# loopback ports, with their data in a throwaway folder (initdb + postgres, redis-server with its own
# options); nothing here starts or changes a system service.
set -euo pipefail

log() { printf '[queue-services] %s\n' "$*" >&2; }

postgres_bin_dir() {
	local dir
	dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
	if [[ -n "${dir}" && -x "${dir}/postgres" && -x "${dir}/initdb" ]]; then echo "${dir}"; fi
}

redis_server() {
	command -v redis-server 2>/dev/null || { [[ -x /usr/bin/redis-server ]] && echo /usr/bin/redis-server; } || true
}

install() {
	local missing=()
	[[ -n "$(postgres_bin_dir)" ]] || missing+=(postgresql)
	[[ -n "$(redis_server)" ]] || missing+=(redis-server)
	if [[ ${#missing[@]} -eq 0 ]]; then
		log "postgresql and redis-server are installed"
		return 0
	fi
	if [[ "$(id -u)" != 0 ]]; then
		log "missing: ${missing[*]}; run this as root (or: sudo apt-get install ${missing[*]})"
		exit 1
	fi
	local start=$SECONDS
	log "installing ${missing[*]} with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	log "installed ${missing[*]} in $((SECONDS - start)) s"
	[[ -n "$(postgres_bin_dir)" && -n "$(redis_server)" ]] || { log "still missing after apt-get"; exit 1; }
}

paths() {
	echo "POSTGRES_BIN_DIR=$(postgres_bin_dir)"
	echo "REDIS_SERVER=$(redis_server)"
}

case "${1:-}" in
install) install; paths ;;
paths) paths ;;
*)
	echo "usage: $0 install|paths" >&2
	exit 2
	;;
esac
