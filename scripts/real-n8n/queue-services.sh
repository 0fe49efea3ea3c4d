#!/usr/bin/env bash
# Servers from Debian's packages for the real-n8n suites: PostgreSQL and Redis for n8n's queue mode,
# vsftpd as a file source for n8n's FTP node (test/real-n8n/sources.ts).
#
#   bash scripts/real-n8n/queue-services.sh install [queue|ftp]  # apt-get install what is missing (as root)
#   bash scripts/real-n8n/queue-services.sh paths                # print POSTGRES_BIN_DIR=, REDIS_SERVER=, VSFTPD=
#
# `install` (or `install queue`) installs postgresql and redis-server, `install ftp` vsftpd: each suite
# gets only the servers it starts. vsftpd is here rather than in a sibling script because it is
# installed the same way (apt-get only when missing, as root, no service started or changed).
#
# The servers themselves are started by test/real-n8n/queue.ts and sources.ts as the test's own
# processes, on free loopback ports, with their data and config in a throwaway folder (initdb +
# postgres, redis-server with its own options, vsftpd with its own config file); nothing here starts
# or changes a system service, and the install keeps the packages from starting theirs.
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

vsftpd_bin() {
	command -v vsftpd 2>/dev/null || { [[ -x /usr/sbin/vsftpd ]] && echo /usr/sbin/vsftpd; } || true
}

# The Debian packages of a group that are not installed yet.
missing() {
	case "$1" in
	queue)
		[[ -n "$(postgres_bin_dir)" ]] || echo postgresql
		[[ -n "$(redis_server)" ]] || echo redis-server
		;;
	ftp) [[ -n "$(vsftpd_bin)" ]] || echo vsftpd ;;
	*)
		echo "unknown group: $1 (queue or ftp)" >&2
		exit 2
		;;
	esac
}

install() {
	local group="$1" packages
	packages="$(missing "${group}" | xargs)"
	if [[ -z "${packages}" ]]; then
		log "the ${group} servers are installed"
		return 0
	fi
	if [[ "$(id -u)" != 0 ]]; then
		log "missing: ${packages}; run this as root (or: sudo apt-get install ${packages})"
		exit 1
	fi
	local start=$SECONDS
	log "installing ${packages} with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	# Two suites may install at once (queue and ftp): one at a time, so that the policy below holds
	# for the whole of each install.
	exec 9>/var/lock/evergis-queue-services.lock
	flock 9
	# The packages' install scripts start their system services through invoke-rc.d (vsftpd on port
	# 21 with local logins, a postgresql cluster, redis); vsftpd's exits 1 when its service does not
	# come up (port 21 taken, say), failing the install. Docker's Debian images deny service starts
	# with /usr/sbin/policy-rc.d; where there is none, one is put there for the install and removed
	# after it.
	local policy=/usr/sbin/policy-rc.d
	if [[ ! -e "${policy}" ]]; then
		printf '#!/bin/sh\n# scripts/real-n8n/queue-services.sh: no service starts during its install\nexit 101\n' >"${policy}"
		chmod 755 "${policy}"
		# shellcheck disable=SC2064 # the path now: the local is gone when the trap runs
		trap "rm -f '${policy}'" EXIT
	fi
	# Another suite may be installing its packages at the same time: wait for dpkg's lock.
	apt-get update -qq -o DPkg::Lock::Timeout=300 >&2
	# shellcheck disable=SC2086 # a list of package names
	apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 ${packages} >&2
	log "installed ${packages} in $((SECONDS - start)) s"
	[[ -z "$(missing "${group}")" ]] || { log "still missing after apt-get: $(missing "${group}" | xargs)"; exit 1; }
}

paths() {
	echo "POSTGRES_BIN_DIR=$(postgres_bin_dir)"
	echo "REDIS_SERVER=$(redis_server)"
	echo "VSFTPD=$(vsftpd_bin)"
}

case "${1:-}" in
install)
	install "${2:-queue}"
	paths
	;;
paths) paths ;;
*)
	echo "usage: $0 install [queue|ftp] | paths" >&2
	exit 2
	;;
esac
