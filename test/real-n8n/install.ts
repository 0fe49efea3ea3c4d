import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { runProcess } from './processes';
import { logStep } from './timing';

export const N8N_VERSION = '2.40.7';
export const NODE_VERSION = '24.22.3';

export interface N8nInstall {
	/** The cache folder of this n8n version. */
	home: string;
	/** The folder with n8n's node_modules. */
	app: string;
	/** Node.js 24's binary, which runs n8n. */
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

let installing: Promise<N8nInstall> | undefined;

/**
 * Runs scripts/real-n8n/install.sh (a few seconds when the cache has a finished install, about
 * 3 to 6 minutes on a fresh machine) and returns where things are. Once per process.
 */
export function ensureN8nInstalled(): Promise<N8nInstall> {
	installing ??= (async () => {
		const script = join(repoRoot(), 'scripts', 'real-n8n', 'install.sh');
		const result = await logStep('install n8n (scripts/real-n8n/install.sh)', () =>
			runProcess('bash', [script], {
				name: 'install.sh',
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
			home: get('EVERGIS_N8N_HOME'),
			app: get('EVERGIS_N8N_APP'),
			node: get('EVERGIS_N8N_NODE'),
			nodeBinDir: get('EVERGIS_N8N_NODE_BIN_DIR'),
			n8nBin: get('EVERGIS_N8N_BIN'),
		};
	})();
	return installing;
}
