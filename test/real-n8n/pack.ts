import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

import { repoRoot } from './install';
import { runProcess } from './processes';
import { logStep } from './timing';

/** Runs `npm pack` in `dir` and returns the absolute path of the tarball, written to `destination`. */
export async function packDirectory(dir: string, destination: string): Promise<string> {
	mkdirSync(destination, { recursive: true });
	const result = await runProcess(
		'npm',
		['pack', '--json', '--ignore-scripts', '--pack-destination', destination],
		{ name: `npm pack (${dir})`, cwd: dir, timeoutMs: 5 * 60_000 },
	);
	const text = result.stdout.join('\n');
	const start = text.indexOf('[');
	const parsed: unknown = JSON.parse(start >= 0 ? text.slice(start) : text);
	if (!Array.isArray(parsed) || parsed.length !== 1) {
		throw new Error(`npm pack --json printed something unexpected:\n${text}`);
	}
	const filename: unknown = (parsed[0] as { filename?: unknown }).filename;
	if (typeof filename !== 'string') throw new Error(`npm pack --json gave no filename:\n${text}`);
	// npm 11 prints the bare file name; scoped names become "scope-name-1.0.0.tgz".
	const tarball = isAbsolute(filename)
		? filename
		: join(destination, filename.replace(/^@/, '').replace('/', '-'));
	if (!existsSync(tarball))
		throw new Error(`npm pack said ${filename} but ${tarball} is not there`);
	return tarball;
}

let packed: Promise<string> | undefined;

/**
 * Builds this package (`npm run build`) and packs it (`npm pack`), once per process, into
 * `<repo>/.tmp/real-n8n/`; returns the tarball's path. When `EVERGIS_N8N_TARBALL` names an existing
 * file (set it from a jest globalSetup to build once for all test files), that file is used instead.
 */
export function packPackage(): Promise<string> {
	const given = process.env.EVERGIS_N8N_TARBALL;
	if (given && existsSync(given)) return Promise.resolve(given);
	packed ??= (async () => {
		const root = repoRoot();
		await logStep('npm run build', () =>
			runProcess('npm', ['run', 'build'], {
				name: 'npm run build',
				cwd: root,
				timeoutMs: 10 * 60_000,
			}),
		);
		return logStep('npm pack', () => packDirectory(root, join(root, '.tmp', 'real-n8n')));
	})();
	return packed;
}
