import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { transpileSandbox } from './transpile';

export const REPO = join(__dirname, '..', '..', '..');

export interface SpawnedSandbox {
	proc: ChildProcess;
	url: string;
	origin: string;
	/** Everything the process printed so far. */
	output: () => string;
	/** Sends a signal and resolves with the exit code. */
	stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Transpiles the sandbox into build/<outName>/ and returns cli.js and a cleanup function. */
export function buildCli(outName: string): { cli: string; remove: () => void } {
	// One folder per process: two test runs at once must not remove each other's build.
	const name = `${outName}-${process.pid}`;
	const cli = transpileSandbox(REPO, name);
	return { cli, remove: () => rmSync(join(REPO, 'build', name), { recursive: true, force: true }) };
}

/** Starts `node cli.js` and waits for its first line, "EverGIS sandbox: <url>". */
export function spawnCli(
	cli: string,
	env: Record<string, string>,
	args: string[] = [],
): Promise<SpawnedSandbox> {
	const proc = spawn(process.execPath, [cli, ...args], {
		env: { PATH: process.env.PATH ?? '', EVERGIS_SANDBOX_PORT: '0', ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let out = '';
	proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
	proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
	const exited = new Promise<number | null>((resolve) =>
		proc.once('exit', (code) => resolve(code)),
	);
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			proc.kill('SIGKILL');
			reject(new Error(`sandbox CLI did not start:\n${out}`));
		}, 15_000);
		const check = (): void => {
			const m = /EverGIS sandbox: (http:\/\/\S+)\r?\n/.exec(out);
			if (!m) return;
			clearTimeout(timer);
			proc.stdout?.off('data', check);
			const url = m[1];
			resolve({
				proc,
				url,
				origin: new URL(url).origin,
				output: () => out,
				stop: (signal = 'SIGTERM') => {
					if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
					return exited;
				},
			});
		};
		proc.stdout?.on('data', check);
		proc.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`sandbox CLI exited (${code}) before starting:\n${out}`));
		});
	});
}

/** The resident set (VmRSS) and its peak (VmHWM) of a process, in bytes (Linux). */
export function memoryOf(pid: number): { rss: number; peak: number } | undefined {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const kb = (key: string): number =>
			Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
		return { rss: kb('VmRSS'), peak: kb('VmHWM') };
	} catch {
		return undefined;
	}
}
