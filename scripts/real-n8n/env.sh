# Source this (bash) after scripts/real-n8n/install.sh to use the installed n8n by hand:
#
#   source scripts/real-n8n/env.sh            # n8n 2.40.7
#   source scripts/real-n8n/env.sh 1.123.81   # or another release (see install.sh)
#   n8n --version            # 2.40.7 on Node 24 (node on PATH is that Node too)
#
# It runs install.sh (seconds when the install is finished; the whole install otherwise), exports the
# EVERGIS_N8N_* variables install.sh prints, puts its Node first on PATH and defines `n8n` as a shell
# function. Give n8n a throwaway N8N_USER_FOLDER: by default it works in ~/.n8n.
_evergis_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_evergis_vars="$(bash "${_evergis_here}/install.sh" ${1:+"$1"} | grep '^EVERGIS_N8N_')" || {
	echo "scripts/real-n8n/env.sh: run scripts/real-n8n/install.sh first (it failed or is not finished)" >&2
	unset _evergis_here _evergis_vars
	return 1
}
while IFS= read -r _evergis_line; do
	export "${_evergis_line?}"
done <<<"${_evergis_vars}"
export PATH="${EVERGIS_N8N_NODE_BIN_DIR}:${PATH}"
n8n() { "${EVERGIS_N8N_NODE}" "${EVERGIS_N8N_BIN}" "$@"; }
unset _evergis_here _evergis_vars _evergis_line
