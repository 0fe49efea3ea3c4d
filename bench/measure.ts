import { execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';

import type { FromChild, Scenario, ScenarioResult } from './protocol';

// The parent side of a measurement: forking a scenario, sampling the child's RSS from outside,
// timing curl, and small statistics.

export interface RssReport {
	/** RSS just before the node started (after the file was in binary storage), bytes. */
	baseline: number;
	/** Highest RSS sampled while the node ran, bytes. */
	peak: number;
	/** The kernel's own peak (VmHWM, reset just before the baseline was read), bytes. */
	kernelPeak: number;
	samples: number;
	/** Longest gap between two samples, ms. */
	maxGapMs: number;
	windowMs: number;
}

export interface ChildOutcome {
	result: ScenarioResult;
	/** One per measured node run, in order (memory runs have one). */
	rss: RssReport[];
}

export interface ScenarioOptions {
	/** Sample the child's RSS while its node runs. */
	memory: boolean;
	tmpDir: string;
	timeoutMs: number;
	/** Runs while the child waits just before its node's n-th run (0-based) starts. */
	beforeNode?: (run: number) => Promise<void>;
	/** Runs while the child waits just after its node's n-th run ended. */
	afterNode?: (run: number) => Promise<void>;
}

export const SAMPLE_EVERY_MS = 10;

/** VmRSS and VmHWM of a process, bytes (Linux /proc). */
export function memoryOf(pid: number): { rss: number; hwm: number } {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = (field: string): number => {
		const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
		if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
		return Number(match[1]) * 1024;
	};
	return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/**
 * Runs a scenario in a fresh Node process (`bench/child.js`). For memory runs the child stops
 * before and after its node's execute() and waits for this process, which reads the child's RSS
 * from /proc every SAMPLE_EVERY_MS in between (from outside, so a busy event loop in the child
 * cannot skip samples).
 */
export async function runScenario(
	childScript: string,
	scenario: Scenario,
	options: ScenarioOptions,
): Promise<ChildOutcome> {
	const child = fork(childScript, [], {
		execArgv: ['--expose-gc'],
		env: { ...process.env, TMPDIR: options.tmpDir },
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	const pid = child.pid ?? -1;
	const reports: RssReport[] = [];
	let current: RssReport | undefined;
	let timer: NodeJS.Timeout | undefined;
	let last = 0;
	let started = 0;
	let runs = 0;
	const sample = (): void => {
		if (!current) return;
		try {
			const now = performance.now();
			current.peak = Math.max(current.peak, memoryOf(pid).rss);
			current.samples++;
			current.maxGapMs = Math.max(current.maxGapMs, now - last);
			last = now;
		} catch {
			// the child is gone
		}
	};
	const nodeStart = async (): Promise<void> => {
		await options.beforeNode?.(runs);
		if (options.memory) {
			const { rss: baseline } = memoryOf(pid);
			started = performance.now();
			last = started;
			current = { baseline, peak: baseline, kernelPeak: 0, samples: 1, maxGapMs: 0, windowMs: 0 };
			timer = setInterval(sample, SAMPLE_EVERY_MS);
		}
	};
	const nodeEnd = async (): Promise<void> => {
		if (current) {
			clearInterval(timer);
			sample();
			current.windowMs = performance.now() - started;
			// VmHWM was reset (clear_refs) just before the baseline was read.
			current.kernelPeak = memoryOf(pid).hwm;
			reports.push(current);
			current = undefined;
		}
		await options.afterNode?.(runs++);
	};
	try {
		return await new Promise<ChildOutcome>((resolve, reject) => {
			const deadline = setTimeout(() => {
				child.kill('SIGKILL');
				reject(new Error(`${scenario.kind} did not finish within ${options.timeoutMs} ms`));
			}, options.timeoutMs);
			const fail = (error: unknown) => {
				clearTimeout(deadline);
				child.kill('SIGKILL');
				reject(error as Error);
			};
			child.once('exit', (code, signal) => {
				clearTimeout(deadline);
				reject(new Error(`the ${scenario.kind} child exited (${code ?? signal}) without a result`));
			});
			child.on('message', (message: FromChild) => {
				if (message.type === 'node-start') {
					nodeStart().then(() => child.send({ type: 'ack' }), fail);
				} else if (message.type === 'node-end') {
					nodeEnd().then(() => child.send({ type: 'ack' }), fail);
				} else if (message.type === 'result') {
					clearTimeout(deadline);
					resolve({ result: message.result, rss: reports });
				} else if (message.type === 'failed') {
					clearTimeout(deadline);
					reject(new Error(`${scenario.kind} failed in the child: ${message.message}`));
				}
			});
			child.send({ type: 'scenario', scenario });
		});
	} finally {
		clearInterval(timer);
		if (child.exitCode === null && child.signalCode === null) {
			await new Promise((resolve) => {
				const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
				child.once('exit', () => {
					clearTimeout(kill);
					resolve(undefined);
				});
			});
		}
	}
}

/** Runs a command, returning its wall time, exit code and output. */
export async function timed(
	command: string,
	args: string[],
): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
	const started = performance.now();
	const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	const code = await new Promise<number | null>((resolve, reject) => {
		child.once('error', reject);
		child.once('close', resolve);
	});
	return { ms: performance.now() - started, code, stdout, stderr };
}

/** Flushes dirty pages to disk so that writeback does not run during the next timed upload. */
export function flushDisks(): void {
	execFileSync('sync');
}

export interface Spread {
	median: number;
	min: number;
	max: number;
	n: number;
}

export function spread(values: number[]): Spread {
	if (values.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
	return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

export interface Machine {
	cpu: string;
	cores: number;
	memory: string;
	node: string;
	os: string;
	date: string;
}

export function machine(): Machine {
	const list = cpus();
	return {
		cpu: list[0]?.model ?? 'unknown',
		cores: list.length,
		memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
		node: process.version,
		os: `${process.platform} ${release()}`,
		date: new Date()
			.toISOString()
			.replace('T', ' ')
			.replace(/\.\d+Z$/, ' UTC'),
	};
}

export const benchPath = (buildRoot: string, file: string) => join(buildRoot, 'bench', file);
