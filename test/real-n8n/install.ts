import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { runProcess } from './processes';
import { logStep } from './timing';

/** The n8n release the e2e and queue suites use (and ensureN8nInstalled's default). */
export const N8N_VERSION = '2.40.7';
/** The Node.js that runs n8n 2.x (n8n 1.x runs on the system's Node 20). */
export const NODE_VERSION = '24.22.3';

export interface N8nInstall {
	/** The n8n release, e.g. '2.40.7'. */
	version: string;
	/** Its major version (1 or 2): some CLI commands and settings differ. */
	major: number;
	/** The cache folder of this n8n version. */
	home: string;
	/** The folder with n8n's node_modules. */
	app: string;
	/** The Node.js binary that runs n8n (24 for 2.x, the system's 20 for 1.x). */
	node: string;
	/** The folder of that binary (put first on PATH for n8n). */
	nodeBinDir: string;
	/** n8n's CLI script (run it with `node`). */
	n8nBin: string;
}

/** The clone's root folder (found from this file, whether run from source or from build/). */
export function repoRoot(): string {
	let dir = __dirname;
	for (;;) {
		if (existsSync(join(dir, 'scripts', 'real-n8n', 'install.sh'))) return dir;
		const parent = dirname(dir);
		if (parent === dir) throw new Error(`no scripts/real-n8n/install.sh above ${__dirname}`);
		dir = parent;
	}
}

const installing = new Map<string, Promise<N8nInstall>>();

/**
 * Runs `scripts/real-n8n/install.sh <version>` (a second when the cache has a finished install, 3 to
 * 8 minutes on a fresh machine) and returns where things are. Once per version and process.
 */
export function ensureN8nInstalled(version: string = N8N_VERSION): Promise<N8nInstall> {
	let install = installing.get(version);
	if (!install) {
		install = runInstall(version);
		installing.set(version, install);
	}
	return install;
}

async function runInstall(version: string): Promise<N8nInstall> {
	const script = join(repoRoot(), 'scripts', 'real-n8n', 'install.sh');
	const result = await logStep(`install n8n ${version} (scripts/real-n8n/install.sh)`, () =>
		runProcess('bash', [script, version], {
			name: `install.sh ${version}`,
			timeoutMs: 30 * 60_000,
			onLine: (line, stream) => {
				if (stream === 'stderr') process.stderr.write(line + '\n');
			},
		}),
	);
	const vars = new Map<string, string>();
	for (const line of result.stdout) {
		const match = /^(EVERGIS_N8N_[A-Z_]+)=(.*)$/.exec(line);
		if (match) vars.set(match[1], match[2]);
	}
	const get = (key: string): string => {
		const value = vars.get(key);
		if (!value)
			throw new Error(`install.sh did not print ${key}; it printed:\n${result.lines.join('\n')}`);
		return value;
	};
	return {
		version: get('EVERGIS_N8N_VERSION'),
		major: Number(get('EVERGIS_N8N_VERSION').split('.')[0]),
		home: get('EVERGIS_N8N_HOME'),
		app: get('EVERGIS_N8N_APP'),
		node: get('EVERGIS_N8N_NODE'),
		nodeBinDir: get('EVERGIS_N8N_NODE_BIN_DIR'),
		n8nBin: get('EVERGIS_N8N_BIN'),
	};
}
