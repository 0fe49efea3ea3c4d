/**
 * The README's install commands, run as written: the block after `<!-- install:tarball -->` in a
 * folder that holds the tarball, with HOME set to an n8n user folder; the block after
 * `<!-- install:docker -->` step by step in a plain folder standing for the container. A step the
 * suite does not know how to stand in for fails the suite, so the README cannot grow a command that
 * nothing runs.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import type { UserFolder } from '../real-n8n';
import { logStep, repoRoot, runProcess } from '../real-n8n';

/** The shell block that follows `<!-- install:<marker> -->` in README.md, without its fences. */
export function readmeInstallBlock(marker: 'tarball' | 'docker'): string {
	const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
	const at = readme.indexOf(`<!-- install:${marker} -->`);
	if (at < 0) throw new Error(`README.md has no <!-- install:${marker} --> marker`);
	const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
	if (!block) throw new Error(`README.md has no sh block after <!-- install:${marker} -->`);
	return block[1];
}

/** The tarball's file name the block names must be the one `npm pack` made (the version in it). */
function expectTarballName(block: string, tarball: string): void {
	if (!block.includes(basename(tarball))) {
		throw new Error(
			`README.md's install block does not name ${basename(tarball)} (package.json's version):\n${block}`,
		);
	}
}

/** This process's environment without what npm passes to the scripts it runs (npm_config_*, …). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (!/^npm_/i.test(key)) env[key] = value;
	}
	return { ...env, ...extra };
}

/**
 * The README's tarball block, in a folder holding the tarball, with HOME = the n8n user folder, and
 * npm's registry pointing where nothing listens (the install needs no registry).
 */
export async function installAsReadmeSays(folder: UserFolder, tarball: string): Promise<void> {
	const block = readmeInstallBlock('tarball');
	expectTarballName(block, tarball);
	const downloads = join(folder.root, 'downloads');
	mkdirSync(downloads, { recursive: true });
	copyFileSync(tarball, join(downloads, basename(tarball)));
	await logStep("README's tarball install", () =>
		runProcess('bash', ['-euo', 'pipefail', '-c', block], {
			name: "README's tarball install",
			cwd: downloads,
			env: cleanEnv({ HOME: folder.userFolder, npm_config_registry: 'http://127.0.0.1:9/' }),
			timeoutMs: 5 * 60_000,
		}),
	);
}

/**
 * The README's Docker block, each step stood in for on this machine: the container is a plain
 * folder (`container/` for its root, HOME = the n8n user folder, which the image keeps in the
 * volume `/home/node/.n8n`). Returns whether the block ends with a restart (the caller starts n8n).
 */
export async function installAsReadmeSaysForDocker(
	folder: UserFolder,
	tarball: string,
): Promise<{ restarted: boolean }> {
	const block = readmeInstallBlock('docker');
	expectTarballName(block, tarball);
	const here = join(folder.root, 'host');
	const containerTmp = join(folder.root, 'container', 'tmp');
	mkdirSync(here, { recursive: true });
	mkdirSync(containerTmp, { recursive: true });
	copyFileSync(tarball, join(here, basename(tarball)));
	const inContainer = (text: string) => text.replace(/(^|[\s'"=])\/tmp\//g, `$1${containerTmp}/`);
	let restarted = false;
	for (const line of block.split('\n').map((text) => text.trim())) {
		if (line === '' || line.startsWith('#')) continue;
		let match: RegExpExecArray | null;
		if ((match = /^docker cp (\S+) n8n:(\/tmp\/)$/.exec(line))) {
			copyFileSync(join(here, match[1]), join(inContainer(match[2]), basename(match[1])));
		} else if ((match = /^docker exec -u node n8n sh -c '([^']+)'$/.exec(line))) {
			const command = inContainer(match[1]);
			await logStep("README's docker exec", () =>
				runProcess('sh', ['-c', command], {
					name: "README's docker exec (in a plain folder)",
					cwd: here,
					env: cleanEnv({ HOME: folder.userFolder, npm_config_registry: 'http://127.0.0.1:9/' }),
					timeoutMs: 5 * 60_000,
				}),
			);
		} else if (line === 'docker restart n8n') {
			restarted = true;
		} else {
			throw new Error(
				`README.md's Docker block has a step the e2e suite does not stand in for: ${line}`,
			);
		}
	}
	return { restarted };
}
