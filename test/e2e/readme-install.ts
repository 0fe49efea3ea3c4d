/**
 * The README's install commands, run as written. Each shell block follows a marker
 * `<!-- install:<name> -->` in README.md (or in docs/INSTALL.md):
 *
 * - `build`: the tarball made in a clean clone (`git clone` of this repository's HEAD into a
 *   temporary folder, `npm ci`, `npm run pack`), as an admin without a release makes it;
 * - `tarball`: run in a folder that holds the tarball, with HOME set to an n8n user folder;
 * - `docker`: `docker compose up -d --build` with docker/compose.yaml and docker/Dockerfile, each
 *   Dockerfile instruction stood in for in a plain folder standing for the image (see
 *   buildImageAsDockerfileSays);
 * - `docker-exec` (docs/INSTALL.md): a package put into a running container with `docker cp` and
 *   `docker exec`, step by step in a plain folder standing for the container.
 *
 * A step the suite does not know how to stand in for fails the suite, so neither file can grow a
 * command that nothing runs. No Docker engine runs here: what each stand-in does is said where it is.
 */
import {
	copyFileSync,
	existsSync,
	mkdirSync,
	readdirSync,
	readFileSync,
	writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';

import type { UserFolder } from '../real-n8n';
import { logStep, repoRoot, runProcess } from '../real-n8n';

type Marker = 'build' | 'tarball' | 'docker' | 'docker-exec';

/** The shell block that follows `<!-- install:<marker> -->` in a Markdown file, without its fences. */
export function installBlock(marker: Marker, file = 'README.md'): string {
	const text = readFileSync(join(repoRoot(), file), 'utf8');
	const at = text.indexOf(`<!-- install:${marker} -->`);
	if (at < 0) throw new Error(`${file} has no <!-- install:${marker} --> marker`);
	const block = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
	if (!block) throw new Error(`${file} has no sh block after <!-- install:${marker} -->`);
	return block[1];
}

/** The block's commands: its lines without blanks and comments. */
function steps(block: string): string[] {
	return block
		.split('\n')
		.map((text) => text.trim())
		.filter((line) => line !== '' && !line.startsWith('#'));
}

/** The tarball's file name a file names must be the one `npm pack` made (the version in it). */
function expectTarballName(text: string, tarball: string, where: string): void {
	if (!text.includes(basename(tarball))) {
		throw new Error(
			`${where} does not name ${basename(tarball)} (package.json's version):\n${text}`,
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

/** npm's registry where nothing listens: the installs must need none. */
const NO_REGISTRY = { npm_config_registry: 'http://127.0.0.1:9/' };

/**
 * The README's build block in `workDir`: `git clone <the repository>` clones this repository's
 * HEAD instead (the URL must be package.json's repository); `cd`, `npm ci` and `npm run pack` run
 * as written, with npm's registry as configured (npm ci fetches the dev tools). Returns the tarball
 * `npm run pack` left in the clone and the commit it was made from.
 */
export async function buildAsReadmeSays(
	workDir: string,
): Promise<{ tarball: string; commit: string }> {
	const repository = (
		JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as {
			repository: { url: string };
		}
	).repository.url.replace(/^git\+/, '');
	let cwd = workDir;
	for (const line of steps(installBlock('build'))) {
		let match: RegExpExecArray | null;
		if ((match = /^git clone (\S+)$/.exec(line))) {
			if (match[1] !== repository) {
				throw new Error(`README.md clones ${match[1]}; package.json's repository is ${repository}`);
			}
			await runProcess('git', ['clone', '--quiet', repoRoot(), basename(match[1], '.git')], {
				name: 'git clone (this repository, standing for the README URL)',
				cwd,
			});
		} else if ((match = /^cd (\S+)$/.exec(line))) {
			cwd = join(cwd, match[1]);
		} else if (line === 'npm ci' || line === 'npm run pack') {
			await logStep(`README's build block: ${line}`, () =>
				runProcess('bash', ['-euo', 'pipefail', '-c', line], {
					name: `${line} (clean clone)`,
					cwd,
					env: cleanEnv({}),
					timeoutMs: 10 * 60_000,
				}),
			);
		} else {
			throw new Error(`README.md's build block has a step the e2e suite does not run: ${line}`);
		}
	}
	const tarballs = readdirSync(cwd).filter((name) => name.endsWith('.tgz'));
	if (tarballs.length !== 1) {
		throw new Error(
			`the clean clone holds ${tarballs.length} tarballs after the build block: ${tarballs}`,
		);
	}
	const head = await runProcess('git', ['rev-parse', 'HEAD'], { name: 'git rev-parse', cwd });
	return { tarball: join(cwd, tarballs[0]), commit: head.stdout[0] };
}

/**
 * The README's tarball block, in a folder holding the tarball, with HOME = the n8n user folder, and
 * npm's registry pointing where nothing listens (the install needs no registry).
 */
export async function installAsReadmeSays(folder: UserFolder, tarball: string): Promise<void> {
	const block = installBlock('tarball');
	expectTarballName(block, tarball, "README.md's tarball block");
	const downloads = join(folder.root, 'downloads');
	mkdirSync(downloads, { recursive: true });
	copyFileSync(tarball, join(downloads, basename(tarball)));
	await logStep("README's tarball install", () =>
		runProcess('bash', ['-euo', 'pipefail', '-c', block], {
			name: "README's tarball install",
			cwd: downloads,
			env: cleanEnv({ HOME: folder.userFolder, ...NO_REGISTRY }),
			timeoutMs: 5 * 60_000,
		}),
	);
}

/**
 * The Docker install of docs/INSTALL.md (a package put into a running container), each step stood
 * in for on this machine: the container is a plain folder (`container/` for its root, HOME = the n8n
 * user folder, which the image keeps in the volume `/home/node/.n8n`). Returns whether the block
 * ends with a restart (the caller starts n8n).
 */
export async function installAsDockerExecSays(
	folder: UserFolder,
	tarball: string,
): Promise<{ restarted: boolean }> {
	const block = installBlock('docker-exec', 'docs/INSTALL.md');
	expectTarballName(block, tarball, "docs/INSTALL.md's docker-exec block");
	const here = join(folder.root, 'host');
	const containerTmp = join(folder.root, 'container', 'tmp');
	mkdirSync(here, { recursive: true });
	mkdirSync(containerTmp, { recursive: true });
	copyFileSync(tarball, join(here, basename(tarball)));
	const inContainer = (text: string) => text.replace(/(^|[\s'"=])\/tmp\//g, `$1${containerTmp}/`);
	let restarted = false;
	for (const line of steps(block)) {
		let match: RegExpExecArray | null;
		if ((match = /^docker cp (\S+) n8n:(\/tmp\/)$/.exec(line))) {
			copyFileSync(join(here, match[1]), join(inContainer(match[2]), basename(match[1])));
		} else if ((match = /^docker exec -u node n8n sh -c '([^']+)'$/.exec(line))) {
			const command = inContainer(match[1]);
			await logStep('docker exec (in a plain folder)', () =>
				runProcess('sh', ['-c', command], {
					name: 'docker exec (in a plain folder)',
					cwd: here,
					env: cleanEnv({ HOME: folder.userFolder, ...NO_REGISTRY }),
					timeoutMs: 5 * 60_000,
				}),
			);
		} else if (line === 'docker restart n8n') {
			restarted = true;
		} else {
			throw new Error(
				`docs/INSTALL.md's docker-exec block has a step the e2e suite does not stand in for: ${line}`,
			);
		}
	}
	return { restarted };
}

export interface BuiltImage {
	/** The n8n release of `FROM n8nio/n8n:<version>`. */
	n8nVersion: string;
	/** Where the image's files are (`/opt/…` of the image is `<root>/opt/…`). */
	root: string;
	/** The container's start before n8n's own entrypoint: run it on a volume (an n8n user folder). */
	start(volume: UserFolder): Promise<void>;
}

/**
 * docker/Dockerfile, each instruction stood in for in a plain folder standing for the image
 * (`<folder.root>/image`): FROM records n8n's release (the caller runs that release); COPY copies
 * from the build context; RUN runs with sh, the image's absolute paths (/tmp, /opt,
 * /docker-entrypoint.sh) pointing into the folder; USER changes nothing here (one user);
 * ENTRYPOINT (exec form, after `tini --`) is what start() runs, with HOME = the volume's user folder
 * and n8n's own /docker-entrypoint.sh replaced by a script that only says it was called (the
 * caller then starts n8n on that folder, as that entrypoint would). Any other instruction fails.
 */
export async function buildImageAsDockerfileSays(
	context: string,
	folder: UserFolder,
	tarball: string,
): Promise<BuiltImage> {
	const dockerfile = readFileSync(join(context, 'Dockerfile'), 'utf8');
	expectTarballName(dockerfile, tarball, 'docker/Dockerfile');
	const root = join(folder.root, 'image');
	for (const dir of ['tmp', 'opt']) mkdirSync(join(root, dir), { recursive: true });
	const entrypointCalls = join(root, 'entrypoint-calls');
	writeFileSync(
		join(root, 'docker-entrypoint.sh'),
		`#!/bin/sh\necho "n8n's entrypoint: $*" >> '${entrypointCalls}'\n`,
		{ mode: 0o755 },
	);
	const inImage = (text: string) =>
		text.replace(/(^|[\s'"=])(\/(?:tmp|opt)(?=\/|\s|$)|\/docker-entrypoint\.sh)/g, `$1${root}$2`);
	const instructions = dockerfile
		.replace(/\\\n/g, ' ')
		.split('\n')
		.map((line) => line.trim())
		.filter((line) => line !== '' && !line.startsWith('#'));
	let n8nVersion = '';
	let entrypoint: string[] = [];
	for (const line of instructions) {
		const [instruction, ...rest] = line.split(/\s+/);
		const argument = line.slice(instruction.length).trim();
		if (instruction === 'FROM' && /^n8nio\/n8n:\d+\.\d+\.\d+$/.test(argument)) {
			n8nVersion = argument.split(':')[1];
		} else if (instruction === 'COPY' && rest.length === 2) {
			const target = inImage(rest[1]);
			copyFileSync(
				join(context, rest[0]),
				target.endsWith('/') ? join(target, basename(rest[0])) : target,
			);
		} else if (instruction === 'USER') {
			// One user here.
		} else if (instruction === 'RUN') {
			await logStep(`Dockerfile RUN (in a plain folder)`, () =>
				runProcess('sh', ['-c', inImage(argument)], {
					name: 'Dockerfile RUN (in a plain folder)',
					cwd: root,
					env: cleanEnv(NO_REGISTRY),
				}),
			);
		} else if (instruction === 'ENTRYPOINT') {
			entrypoint = JSON.parse(argument) as string[];
			if (entrypoint[0] !== 'tini' || entrypoint[1] !== '--') {
				throw new Error(`docker/Dockerfile: ENTRYPOINT does not start with tini --: ${argument}`);
			}
			entrypoint = entrypoint.slice(2);
		} else {
			throw new Error(
				`docker/Dockerfile has an instruction the e2e suite does not stand in for: ${line}`,
			);
		}
	}
	if (!n8nVersion) throw new Error('docker/Dockerfile has no FROM n8nio/n8n:<version>');
	if (entrypoint.length === 0) throw new Error('docker/Dockerfile has no ENTRYPOINT');
	return {
		n8nVersion,
		root,
		async start(volume: UserFolder) {
			const calls = existsSync(entrypointCalls) ? readFileSync(entrypointCalls, 'utf8') : '';
			const [command, ...args] = entrypoint.map(inImage);
			await logStep('the container starts (in a plain folder)', () =>
				runProcess(command, args, {
					name: 'the container starts (in a plain folder)',
					cwd: volume.userFolder,
					env: cleanEnv({ HOME: volume.userFolder, ...NO_REGISTRY }),
				}),
			);
			const after = readFileSync(entrypointCalls, 'utf8');
			if (after.length <= calls.length) {
				throw new Error("docker/Dockerfile's ENTRYPOINT did not go on to n8n's entrypoint");
			}
		},
	};
}

/**
 * The README's Docker block, in a folder standing for a clone after `npm run pack` (the tarball at
 * its top, docker/ as in this repository): `cp` and `cd` run as written; `docker compose up -d
 * --build` checks compose.yaml (it builds the Dockerfile beside it and keeps n8n's user folder in a
 * volume) and builds the image with buildImageAsDockerfileSays. Starting the container is the
 * caller's: start() on a volume, then n8n on it.
 */
export async function composeAsReadmeSays(
	folder: UserFolder,
	tarball: string,
): Promise<BuiltImage> {
	const block = installBlock('docker');
	expectTarballName(block, tarball, "README.md's Docker block");
	const clone = join(folder.root, 'clone');
	mkdirSync(join(clone, 'docker'), { recursive: true });
	copyFileSync(tarball, join(clone, basename(tarball)));
	for (const file of ['Dockerfile', 'compose.yaml']) {
		copyFileSync(join(repoRoot(), 'docker', file), join(clone, 'docker', file));
	}
	let cwd = clone;
	let image: BuiltImage | undefined;
	for (const line of steps(block)) {
		let match: RegExpExecArray | null;
		if ((match = /^cd (\S+)$/.exec(line))) {
			cwd = join(cwd, match[1]);
		} else if (/^cp \S+ \S+$/.test(line)) {
			await runProcess('sh', ['-c', line], { name: line, cwd });
		} else if (line === 'docker compose up -d --build') {
			const compose = readFileSync(join(cwd, 'compose.yaml'), 'utf8');
			for (const needed of [/^\s+build: \.$/m, /^\s+- n8n_data:\/home\/node\/\.n8n$/m]) {
				if (!needed.test(compose)) throw new Error(`compose.yaml lacks ${needed}`);
			}
			image = await buildImageAsDockerfileSays(cwd, folder, tarball);
		} else {
			throw new Error(
				`README.md's Docker block has a step the e2e suite does not stand in for: ${line}`,
			);
		}
	}
	if (!image) throw new Error("README.md's Docker block does not run docker compose up");
	return image;
}
