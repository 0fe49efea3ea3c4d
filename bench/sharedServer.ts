import { fork } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import type { SandboxStats, TaskRecord } from '../sandbox';
import type { Spread } from './measure';
import { spread } from './measure';
import type { Row } from './report';
import { SECTION, sec, times, withSpread } from './report';
import { SandboxProcess } from './sandboxProcess';
import type { ExecResult, ExecScenario, FromSharedChild, NodePatch } from './sharedProtocol';

// Issue 10's figures (a good citizen of a shared EverGIS server), for `npm run bench`:
// - shared:   several executions at once against a server that serves few requests at once: the
//             shipped adaptive request limit against a sweep of fixed limits, in the same run;
// - polling:  progress requests per task and the delay from a task's end to the node's output,
//             the poll back-off against today's fixed interval, in the same run;
// - failfast: the time from a failure to the node's error, in the submit and in the wait phase;
// - shared-n8n (bench/sharedN8n.ts): the adaptive shared-server case inside a real n8n.
// Every execution is a child process of its own (bench/sharedChild.ts); the sandbox runs in its own.

export interface BenchContext {
	buildRoot: string;
	tmp: string;
	smallFile: string;
	repeats: number;
	rows: Row[];
	notes: string[];
	log: (line: string) => void;
	sandboxes: SandboxProcess[];
}

export const SHARED = {
	items: 40,
	taskMs: 2000,
	latencyMs: 50,
	pollInterval: 0.5,
	fixedLimits: [1, 2, 4, 6, 8],
	/** [server's maxActiveRequests, executions at once] */
	configs: [
		[6, 3],
		[20, 5],
	] as Array<[number, number]>,
	goal: 1.3,
};

const POLL_ITEMS = 3;
const DEFAULT_POLL_S = 5;
const SCALE = 60;
const POLL_CASES = [
	{ key: '2s', label: '2 s task', taskMs: 2_000, pollInterval: undefined, scale: 1, latencyMs: 50 },
	{
		key: '60s',
		label: '60 s task',
		taskMs: 60_000,
		pollInterval: undefined,
		scale: 1,
		latencyMs: 50,
	},
	{
		key: '30min',
		label: `30 min task, simulated at 1/${SCALE} (30 s task, Poll Interval 5/${SCALE} s, latency 1 ms)`,
		taskMs: 30_000,
		pollInterval: DEFAULT_POLL_S / SCALE,
		scale: 1 / SCALE,
		latencyMs: 1,
	},
];

const FAIL_FAST = { submitTaskMs: 12_000, waitTaskMs: 60_000, items: 3 };

const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
const int = (v: number) => v.toFixed(0);
const one = (v: number) => v.toFixed(1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let childCount = 0;

/**
 * Starts one child per scenario, waits until each has its files in binary storage and its node
 * waiting at the start of execute(), runs `beforeGo`, then lets all nodes go at once.
 */
export async function runTogether(
	ctx: BenchContext,
	scenarios: ExecScenario[],
	hooks: { beforeGo?: () => Promise<void>; whileRunning?: () => Promise<void> } = {},
): Promise<ExecResult[]> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await startTogether(ctx, scenarios, hooks);
		} catch (error) {
			// A child that fails before its node starts has measured nothing: start them all again. On
			// a loaded machine n8n's engine can fail its parameter check ("Regular expression execution
			// timed out": n8n-workflow's safe-regex allows 250 ms) before the node runs.
			if (!(error instanceof NotStarted) || attempt >= 3) throw error;
			restarts.push(error.message.split('\n')[0]);
			ctx.log(`  a child failed before its node started (${restarts[restarts.length - 1]}): again`);
		}
	}
}

/** Children that failed before their node started (nothing measured), started again. */
export const restarts: string[] = [];
let restartsNoted = 0;

function noteRestarts(ctx: BenchContext, section: string): void {
	const fresh = restarts.slice(restartsNoted);
	restartsNoted = restarts.length;
	if (fresh.length === 0) return;
	ctx.notes.push(
		`${section}: ${fresh.length} time(s) a child failed before its node started (nothing measured yet) and the run was started again: ${[...new Set(fresh)].join('; ')}.`,
	);
}

class NotStarted extends Error {}

async function startTogether(
	ctx: BenchContext,
	scenarios: ExecScenario[],
	hooks: { beforeGo?: () => Promise<void>; whileRunning?: () => Promise<void> },
): Promise<ExecResult[]> {
	const script = join(ctx.buildRoot, 'bench', 'sharedChild.js');
	const children = scenarios.map((scenario) => {
		const dir = join(ctx.tmp, `shared-child-${++childCount}`);
		mkdirSync(dir);
		const child = fork(script, [], {
			env: { ...process.env, TMPDIR: dir },
			stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
		});
		const state: { ready: boolean; settled: boolean; error?: Error } = {
			ready: false,
			settled: false,
		};
		const signals: {
			ready?: () => void;
			result?: (result: ExecResult) => void;
			fail?: (error: Error) => void;
		} = {};
		const ready = new Promise<void>((resolve) => (signals.ready = resolve));
		const result = new Promise<ExecResult>((resolve, reject) => {
			signals.result = resolve;
			signals.fail = reject;
		});
		result.catch(() => undefined);
		const fail = (error: Error) => {
			if (state.settled) return;
			state.settled = true;
			state.error = error;
			signals.fail?.(error);
			if (!state.ready) signals.ready?.();
		};
		child.on('message', (message: FromSharedChild) => {
			if (message.type === 'ready') {
				state.ready = true;
				signals.ready?.();
			} else if (message.type === 'result') {
				state.settled = true;
				signals.result?.(message.result);
			} else if (message.type === 'failed') {
				fail(new Error(`a shared-server child failed: ${message.message}`));
			}
		});
		child.once('exit', (code, signal) =>
			fail(new Error(`a shared-server child exited (${code ?? signal}) without a result`)),
		);
		child.send({ type: 'run', scenario });
		return { child, dir, ready, result, state };
	});
	const deadline = (ms: number, what: string) =>
		new Promise<never>((_resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
			timer.unref();
		});
	let finished = false;
	try {
		await Promise.race([
			Promise.all(children.map((c) => c.ready)),
			deadline(5 * 60_000, 'preparing'),
		]);
		// A child that failed while preparing: none has started its node yet.
		const broken = children.find((c) => c.state.error);
		if (broken?.state.error) throw new NotStarted(broken.state.error.message);
		await hooks.beforeGo?.();
		for (const c of children) c.child.send({ type: 'go' });
		const watching = hooks.whileRunning?.();
		const results = await Promise.race([
			Promise.all(children.map((c) => c.result)),
			deadline(20 * 60_000, 'running'),
		]);
		await watching;
		finished = true;
		return results;
	} finally {
		for (const c of children) {
			if (c.child.exitCode === null && c.child.signalCode === null) {
				const exited = new Promise((resolve) => c.child.once('exit', resolve));
				// A child that sent its result exits by itself; after a failure, stop the others now.
				const kill = setTimeout(() => c.child.kill('SIGKILL'), finished ? 30_000 : 0);
				await exited;
				clearTimeout(kill);
			}
			rmSync(c.dir, { recursive: true, force: true });
		}
	}
}

/** First node start to last node end, over all executions (Date.now(), one clock). */
const wallOf = (results: ExecResult[]) =>
	Math.max(...results.map((r) => r.endedAt)) - Math.min(...results.map((r) => r.startedAt));

const failedItems = (results: ExecResult[], items: number) =>
	results.reduce((sum, r) => sum + (items - (r.error ? 0 : (r.statuses.Completed ?? 0))), 0);

const share419 = (stats: SandboxStats) => {
	const all = Object.values(stats.answers).reduce((sum, n) => sum + n, 0);
	return all > 0 ? (stats.answers['419'] ?? 0) / all : 0;
};

// ---------------------------------------------------------------- shared server

interface SharedRun {
	results: ExecResult[];
	stats: SandboxStats;
	wallMs: number;
	failed: number;
}

/** The adaptive runs' figures per server limit, for the real-n8n cross-check (bench/sharedN8n.ts). */
export const inProcessFigures = new Map<
	number,
	Record<'wall' | 'failed' | 'logins' | 'share419' | 'atLimit' | 'peak', Spread>
>();

const limitLabel = (limit: number | undefined) =>
	limit === undefined ? 'adaptive (shipped)' : `fixed ${limit}`;

async function sharedConfig(
	ctx: BenchContext,
	maxActive: number,
	executions: number,
	section: string,
): Promise<void> {
	const sandbox = await SandboxProcess.start(ctx.buildRoot, {
		latencyMs: SHARED.latencyMs,
		taskDurationMs: SHARED.taskMs,
		storageDir: join(ctx.tmp, `sandbox-shared-${maxActive}`),
		log: false,
		maxActiveRequests: maxActive,
	});
	ctx.sandboxes.push(sandbox);
	const limits: Array<number | undefined> = [undefined, ...SHARED.fixedLimits];
	const runs = new Map<number | undefined, SharedRun[]>(limits.map((l) => [l, []]));
	const files = Array.from({ length: SHARED.items }, () => ctx.smallFile);
	try {
		for (let rep = 1; rep <= ctx.repeats; rep++) {
			// Odd repetitions: the adaptive limit first, then 1 → 8; even ones: 8 → 1, then adaptive.
			const order = rep % 2 === 1 ? limits : [...limits].reverse();
			ctx.log(
				`shared server ${maxActive}, ${executions} executions, repetition ${rep}/${ctx.repeats}`,
			);
			for (const limit of order) {
				const patch: NodePatch = limit === undefined ? {} : { fixedLimit: limit };
				const results = await runTogether(
					ctx,
					Array.from({ length: executions }, () => ({
						url: sandbox.url,
						files,
						pollInterval: SHARED.pollInterval,
						patch,
					})),
					{ beforeGo: () => sandbox.resetStats() },
				);
				const stats = await sandbox.counters();
				const run: SharedRun = {
					results,
					stats,
					wallMs: wallOf(results),
					failed: failedItems(results, SHARED.items),
				};
				runs.get(limit)?.push(run);
				const errors = results.filter((r) => r.error).map((r) => r.error);
				ctx.log(
					`  ${limitLabel(limit).padEnd(18)} wall ${sec(run.wallMs)}; failed ${run.failed}; logins ${stats.logins} (login requests ${stats.requests.login}, refused ${stats.refused.login}); 419 ${pct(share419(stats))} of ${Object.values(stats.answers).reduce((s, n) => s + n, 0)} answers; peak ${stats.peakActiveRequests}, at limit ${pct(stats.load.shareAtLimit)}, mean active ${stats.load.meanActiveRequests.toFixed(2)}${errors.length ? `; errors: ${errors.join(' | ')}` : ''}`,
				);
			}
		}
	} finally {
		await sandbox.stop();
	}

	const wall = (limit: number | undefined) => spread((runs.get(limit) ?? []).map((r) => r.wallMs));
	const fixedWalls = SHARED.fixedLimits.map((limit) => ({ limit, wall: wall(limit) }));
	const best = fixedWalls.reduce((a, b) => (b.wall.median < a.wall.median ? b : a));
	const adaptive = runs.get(undefined) ?? [];
	// Per repetition: the adaptive run against the best fixed limit's run of the same repetition.
	const ratios = spread(
		adaptive.map((run, i) => run.wallMs / (runs.get(best.limit)?.[i]?.wallMs ?? NaN)),
	);
	const adaptiveWall = wall(undefined);
	inProcessFigures.set(maxActive, {
		wall: adaptiveWall,
		failed: spread(adaptive.map((r) => r.failed)),
		logins: spread(adaptive.map((r) => r.stats.logins)),
		share419: spread(adaptive.map((r) => share419(r.stats))),
		atLimit: spread(adaptive.map((r) => r.stats.load.shareAtLimit)),
		peak: spread(adaptive.map((r) => r.stats.peakActiveRequests)),
	});
	const ratio = adaptiveWall.median / best.wall.median;
	const items = executions * SHARED.items;
	ctx.rows.push({
		section,
		figure: `Adaptive request limit (shipped): wall time of the ${executions} executions`,
		measured: withSpread(adaptiveWall, sec),
		baseline: `best fixed limit of the sweep (${best.limit}): ${withSpread(best.wall, sec)}`,
		ratio: `${times(ratio)} (per repetition ${withSpread(ratios, times)})`,
		goal: `≤ ${SHARED.goal}×`,
		verdict: ratio <= SHARED.goal ? 'PASS' : 'MISS',
	});
	const failed = spread(adaptive.map((r) => r.failed));
	ctx.rows.push({
		section,
		figure: 'Adaptive: failed items',
		measured: withSpread(failed, int),
		baseline: `${items} items per run`,
		ratio: '',
		goal: '0',
		verdict: failed.max === 0 ? 'PASS' : 'MISS',
	});
	const logins = spread(adaptive.map((r) => r.stats.logins));
	const loginRequests = spread(adaptive.map((r) => r.stats.requests.login));
	const refusedLogins = spread(adaptive.map((r) => r.stats.refused.login));
	ctx.rows.push({
		section,
		figure: 'Adaptive: logins (login requests sent; of them refused 419 and sent again)',
		measured: `${withSpread(logins, int)} (requests ${withSpread(loginRequests, int)}; refused ${withSpread(refusedLogins, int)})`,
		baseline: `${executions} executions, each on fresh credentials`,
		ratio: `${withSpread(spread(adaptive.map((r) => r.stats.logins / executions)), (v) =>
			v.toFixed(2),
		)} per execution`,
		goal: '≤ 1 per execution, none after a 419',
		verdict: logins.max <= executions ? 'PASS' : 'MISS',
	});
	ctx.rows.push({
		section,
		figure: `Adaptive: server load: peak requests in process; share of time at the limit (${maxActive}); mean in process`,
		measured: `peak ${withSpread(
			spread(adaptive.map((r) => r.stats.peakActiveRequests)),
			int,
		)}; at limit ${withSpread(
			spread(adaptive.map((r) => r.stats.load.shareAtLimit)),
			pct,
		)}; mean ${withSpread(spread(adaptive.map((r) => r.stats.load.meanActiveRequests)), (v) =>
			v.toFixed(2),
		)}`,
		baseline: `best fixed (${best.limit}): at limit ${withSpread(
			spread((runs.get(best.limit) ?? []).map((r) => r.stats.load.shareAtLimit)),
			pct,
		)}`,
		ratio: '',
		goal: 'report',
		verdict: 'info',
	});
	ctx.rows.push({
		section,
		figure: 'Adaptive: share of 419 answers among all answers',
		measured: withSpread(spread(adaptive.map((r) => share419(r.stats))), pct),
		baseline: `best fixed (${best.limit}): ${withSpread(
			spread((runs.get(best.limit) ?? []).map((r) => share419(r.stats))),
			pct,
		)}`,
		ratio: '',
		goal: 'report',
		verdict: 'info',
	});
	for (const { limit, wall: w } of fixedWalls) {
		const rs = runs.get(limit) ?? [];
		const s = (f: (r: SharedRun) => number) => spread(rs.map(f));
		ctx.rows.push({
			section,
			figure: `Fixed limit ${limit} (bench-only baseline): wall time`,
			measured: withSpread(w, sec),
			baseline: `419 ${withSpread(
				s((r) => share419(r.stats)),
				pct,
			)} of answers; at limit ${withSpread(
				s((r) => r.stats.load.shareAtLimit),
				pct,
			)}; failed ${withSpread(
				s((r) => r.failed),
				int,
			)}; logins ${withSpread(
				s((r) => r.stats.logins),
				int,
			)}`,
			ratio: `adaptive / this ${times(adaptiveWall.median / w.median)}`,
			goal: limit === best.limit ? 'best of the sweep' : 'baseline',
			verdict: 'info',
		});
	}
	const observed = spread(adaptive.map((r) => r.stats.load.observedMs));
	ctx.notes.push(
		`Shared server ${maxActive}, ${executions} executions: the sandbox's own span (its stats reset just before the go, to its last answer) for the adaptive runs ${withSpread(observed, sec)}, beside the wall time above ${withSpread(adaptiveWall, sec)} (from the first execute() start to the last one's end). Requests per adaptive run: ${withSpread(
			spread(adaptive.map((r) => Object.values(r.stats.requests).reduce((s, n) => s + n, 0))),
			int,
		)}, of them progress ${withSpread(
			spread(adaptive.map((r) => r.stats.requests.progress)),
			int,
		)}; time by requests in process (ms, median run): ${JSON.stringify(
			medianRun(adaptive)?.stats.load.msByActive.map((ms) => Math.round(ms)),
		)}.`,
	);
}

function medianRun(runs: SharedRun[]): SharedRun | undefined {
	const sorted = [...runs].sort((a, b) => a.wallMs - b.wallMs);
	return sorted[Math.floor(sorted.length / 2)];
}

export async function sharedSection(ctx: BenchContext): Promise<void> {
	for (const [maxActive, executions] of SHARED.configs) {
		const section = `${SECTION.sharedServer}. Shared server: sandbox maxActiveRequests ${maxActive}, ${executions} executions at once (a child process each, fresh credentials), ${SHARED.items} small files each, wait on, task ${sec(SHARED.taskMs)}, latency ${SHARED.latencyMs} ms, Poll Interval ${SHARED.pollInterval} s`;
		await sharedConfig(ctx, maxActive, executions, section);
	}
	noteRestarts(ctx, 'Shared server');
}

// ---------------------------------------------------------------- polling cost

interface PollRun {
	progressPerTask: number;
	delayMs: number;
}

async function settledLog(sandbox: SandboxProcess): Promise<void> {
	// The request log comes through a pipe: wait until it has been quiet for a moment.
	let count = -1;
	while (count !== sandbox.requests.length) {
		count = sandbox.requests.length;
		await sleep(300);
	}
}

function pollRun(
	sandbox: SandboxProcess,
	from: number,
	result: ExecResult,
	tasks: Map<string, TaskRecord>,
	what: string,
): PollRun {
	if (result.error || (result.statuses.Completed ?? 0) !== POLL_ITEMS) {
		throw new Error(
			`polling (${what}): expected ${POLL_ITEMS} Completed, got ${JSON.stringify(result.statuses)} ${result.error ?? ''}`,
		);
	}
	const logged = sandbox.requests.slice(from);
	let progress = 0;
	let lastEnd = 0;
	for (const id of result.taskIds) {
		progress += logged.filter(
			(r) => r.method === 'GET' && r.path.endsWith(`/${id}/progress`),
		).length;
		const ended = tasks.get(id)?.endedAt;
		if (!ended) throw new Error(`polling (${what}): task ${id} has not ended in the sandbox`);
		lastEnd = Math.max(lastEnd, Date.parse(ended));
	}
	return { progressPerTask: progress / result.taskIds.length, delayMs: result.endedAt - lastEnd };
}

export async function pollingSection(ctx: BenchContext): Promise<void> {
	const sandbox = await SandboxProcess.start(ctx.buildRoot, {
		latencyMs: 50,
		taskDurationMs: 2000,
		storageDir: join(ctx.tmp, 'sandbox-polling'),
		log: true,
	});
	ctx.sandboxes.push(sandbox);
	const section = `${SECTION.polling}. Polling cost: ${POLL_ITEMS} items per execution, default settings (Poll Interval ${DEFAULT_POLL_S} s); the poll back-off (shipped) and today's fixed interval run side by side, at the same time`;
	const files = Array.from({ length: POLL_ITEMS }, () => ctx.smallFile);
	try {
		for (const c of POLL_CASES) {
			await sandbox.setOptions({ taskDurationMs: c.taskMs, latencyMs: c.latencyMs });
			const backoff: PollRun[] = [];
			const fixed: PollRun[] = [];
			for (let rep = 1; rep <= ctx.repeats; rep++) {
				ctx.log(`polling, ${c.key}, repetition ${rep}/${ctx.repeats}`);
				const mark = sandbox.requests.length;
				const base = { url: sandbox.url, files, pollInterval: c.pollInterval };
				const [b, f] = await runTogether(ctx, [
					{ ...base, patch: {} },
					{ ...base, patch: { fixedPoll: true } },
				]);
				await settledLog(sandbox);
				const tasks = new Map((await sandbox.stats()).tasks.map((t) => [t.id, t]));
				backoff.push(pollRun(sandbox, mark, b, tasks, `${c.key} back-off`));
				fixed.push(pollRun(sandbox, mark, f, tasks, `${c.key} fixed`));
				const last = (runs: PollRun[]) => runs[runs.length - 1];
				ctx.log(
					`  back-off: ${one(last(backoff).progressPerTask)} progress requests per task, seen ${sec(last(backoff).delayMs)} after the end; fixed: ${one(last(fixed).progressPerTask)}, ${sec(last(fixed).delayMs)}`,
				);
			}
			const perTask = (runs: PollRun[]) => spread(runs.map((r) => r.progressPerTask));
			const delay = (runs: PollRun[]) => spread(runs.map((r) => r.delayMs));
			const scaled = c.scale !== 1;
			const fullScale = (s: Spread, show: (v: number) => string) =>
				scaled
					? ` (full scale ${withSpread({ ...s, median: s.median * SCALE, min: s.min * SCALE, max: s.max * SCALE }, show)})`
					: '';
			const pollMs = (c.pollInterval ?? DEFAULT_POLL_S) * 1000;
			const allowedMs = Math.max(0.15 * c.taskMs, pollMs);
			const b = perTask(backoff);
			ctx.rows.push({
				section,
				figure: `${c.label}: progress requests per task`,
				measured: withSpread(b, one),
				baseline: `fixed interval ${withSpread(perTask(fixed), one)}`,
				ratio: times(b.median / perTask(fixed).median),
				goal: scaled ? '≤ 50' : 'report',
				verdict: scaled ? (b.max <= 50 ? 'PASS' : 'MISS') : 'info',
			});
			const d = delay(backoff);
			ctx.rows.push({
				section,
				figure: `${c.label}: delay from the last task's end (sandbox endedAt) to the node's output`,
				measured: `${withSpread(d, sec)}${fullScale(d, (v) => `${(v / 1000).toFixed(0)} s`)}`,
				baseline: `fixed interval ${withSpread(delay(fixed), sec)}`,
				ratio: `${pct(d.median / c.taskMs)} of the run time`,
				goal: scaled
					? `≤ ${sec(allowedMs)} (15 % of the run time, or the poll interval if larger)`
					: 'report',
				verdict: scaled ? (d.max <= allowedMs ? 'PASS' : 'MISS') : 'info',
			});
		}
	} finally {
		await sandbox.stop();
	}
	noteRestarts(ctx, 'Polling');
	ctx.notes.push(
		`Polling: the back-off rule (interval = max(Poll Interval, the task's age / 8), at most 5 min) is scale-invariant: with the task, the Poll Interval and the sandbox's latency multiplied by 1/${SCALE}, each pause of the wait (computed from the task's age and the Poll Interval) is 1/${SCALE} of its full-scale length, so the same requests go out at the same fractions of the task's run: the 30-min task's request count is measured directly and its delays are ${SCALE}× those shown. The 5-min ceiling is not scaled, and need not be: an eighth of the task's age stays under it (225 s at full scale). What is not scaled: the engine's own time per request (a few ms), which makes the scaled fixed interval a little longer than 5/${SCALE} s and its count a little under 360.`,
	);
}

// ---------------------------------------------------------------- fail fast

export async function failFastSection(ctx: BenchContext): Promise<void> {
	const sandbox = await SandboxProcess.start(ctx.buildRoot, {
		latencyMs: 50,
		taskDurationMs: FAIL_FAST.submitTaskMs,
		storageDir: join(ctx.tmp, 'sandbox-failfast'),
		log: false,
	});
	ctx.sandboxes.push(sandbox);
	const section = `${SECTION.failFast}. Fail fast: default settings (Poll Interval ${DEFAULT_POLL_S} s, Concurrency 4, no Continue On Fail), latency 50 ms`;
	const submit: Array<{ ms: number; tasks: number; uploads: number }> = [];
	const wait: Array<{ ms: number; named: boolean }> = [];
	try {
		for (let rep = 1; rep <= ctx.repeats; rep++) {
			ctx.log(`fail fast, repetition ${rep}/${ctx.repeats}`);
			await sandbox.setOptions({ taskDurationMs: FAIL_FAST.submitTaskMs });
			const [first] = await runTogether(
				ctx,
				[
					{
						url: sandbox.url,
						files: [null, ctx.smallFile, ctx.smallFile],
						patch: {},
					},
				],
				{ beforeGo: () => sandbox.resetStats() },
			);
			if (!first.error) throw new Error('fail fast: the node did not fail');
			const stats = await sandbox.counters();
			submit.push({ ms: first.nodeMs, tasks: stats.tasksCreated, uploads: stats.uploadsStored });
			ctx.log(
				`  item without binary: error after ${sec(first.nodeMs)}, tasks created ${stats.tasksCreated}, uploads ${stats.uploadsStored}: ${first.error}`,
			);

			await sandbox.setOptions({ taskDurationMs: FAIL_FAST.waitTaskMs });
			const known = new Set((await sandbox.stats()).tasks.map((t) => t.id));
			let failedId = '';
			let finishedAt = 0;
			const [second] = await runTogether(
				ctx,
				[
					{
						url: sandbox.url,
						files: Array.from({ length: FAIL_FAST.items }, () => ctx.smallFile),
						patch: {},
					},
				],
				{
					whileRunning: async () => {
						const deadline = Date.now() + 60_000;
						for (;;) {
							const fresh = (await sandbox.stats()).tasks.filter((t) => !known.has(t.id));
							if (fresh.length >= FAIL_FAST.items) {
								failedId = fresh[1].id;
								finishedAt = Date.now();
								await sandbox.finishTask(failedId, 'Failed');
								return;
							}
							if (Date.now() > deadline) throw new Error('fail fast: the tasks never came');
							await sleep(20);
						}
					},
				},
			);
			if (!second.error?.includes(failedId)) {
				throw new Error(`fail fast (wait phase): unexpected outcome ${second.error ?? 'none'}`);
			}
			const named = (second.errorDescription ?? '').split(', ').length >= 1;
			wait.push({ ms: second.endedAt - finishedAt, named });
			ctx.log(
				`  task ${failedId} finished Failed: node error ${sec(second.endedAt - finishedAt)} later: ${second.error}; ${second.errorDescription ?? ''}`,
			);
		}
	} finally {
		await sandbox.stop();
	}
	noteRestarts(ctx, 'Fail fast');
	const allowedMs = DEFAULT_POLL_S * 1000 + 1000;
	const s = spread(submit.map((r) => r.ms));
	ctx.rows.push({
		section,
		figure: `3 items, the first without its binary property, ${sec(FAIL_FAST.submitTaskMs)} tasks: execute() start → the node's error`,
		measured: withSpread(s, sec),
		baseline: `tasks created ${withSpread(
			spread(submit.map((r) => r.tasks)),
			int,
		)}; uploads stored ${withSpread(spread(submit.map((r) => r.uploads)), int)}`,
		ratio: '',
		goal: `≤ ${sec(allowedMs)} (Poll Interval + 1 s)`,
		verdict: s.max <= allowedMs ? 'PASS' : 'MISS',
	});
	const w = spread(wait.map((r) => r.ms));
	ctx.rows.push({
		section,
		figure: `3 tasks of ${sec(FAIL_FAST.waitTaskMs)}, one finished Failed (control route) once all three were created: that finish → the node's error`,
		measured: withSpread(w, sec),
		baseline: `the other two still running`,
		ratio: '',
		goal: `≤ ${sec(allowedMs)} (Poll Interval + 1 s)`,
		verdict: w.max <= allowedMs ? 'PASS' : 'MISS',
	});
}

/** The Method text of the sections that ran, for docs/BENCHMARKS.md. */
export function issue10Method(sections: Set<string>): string[] {
	const out: string[] = [];
	if (sections.has('shared') || sections.has('shared-n8n')) {
		out.push(
			`**Shared server**: the sandbox (own process) serves at most \`maxActiveRequests\` API requests at once, server-wide, and answers 419 past it; latency ${SHARED.latencyMs} ms, tasks ${sec(SHARED.taskMs)}. Each execution is a child process of its own (like a worker), with fresh credentials (no token), reading ${SHARED.items} copies of test/fixtures/rasters/rgb-byte-tenth.tif into binary storage and then running Raster → Upload to Catalog (wait on, default settings but Poll Interval ${SHARED.pollInterval} s, which suits ${sec(SHARED.taskMs)} tasks). Every child's node waits at the start of its execute() until all are ready, then the parent resets the sandbox's stats and lets them all go. Wall time = first execute() start to last execute() end (Date.now() in the children, one clock), the same measure in every row; the sandbox's own span is in the notes. Failed items = items not output \`Completed\`; logins, login requests, 419s, the peak and the time at the limit are the sandbox's counters for that run. Baseline, in the same run: a sweep of **fixed** request limits (${SHARED.fixedLimits.join(', ')}): the same executions with, in the bench child only, REQUEST_LIMIT.initial and .ceiling set to the limit and RequestLimit's learning (its private \`learn\`) replaced by a no-op on its prototype, so the limit neither grows nor halves (busy answers are still retried with the shipped backoff). Each configuration is repeated (see the header), in the order adaptive, 1 … 8 in odd repetitions and reversed in even ones; the adaptive ratio is its median over the best fixed limit's median.`,
		);
	}
	if (sections.has('polling')) {
		out.push(
			`**Polling cost**: ${POLL_ITEMS} items per execution, default settings (Poll Interval ${DEFAULT_POLL_S} s) but where said; two children at the same time against one sandbox: the shipped back-off, and today's fixed interval (in that bench child only, POLL_BACKOFF.fractionOfAge = 0, so every pause is the Poll Interval). Progress requests are counted per task from the sandbox's request log; the delay is the node's execute() end minus the latest \`endedAt\` (the sandbox's task record: creation + task duration) of its tasks. The 30-min task runs at 1/${SCALE} of every time (see the notes).`,
		);
	}
	if (sections.has('failfast')) {
		out.push(
			`**Fail fast**: one execution, default settings. Submit phase: 3 items, the first without a binary property, tasks of ${sec(FAIL_FAST.submitTaskMs)}: the node's execute() time to its error, and the tasks and uploads the sandbox got. Wait phase: 3 items, tasks of ${sec(FAIL_FAST.waitTaskMs)}; the parent polls the sandbox's records every 20 ms and, once all three tasks exist, finishes the second \`Failed\` through its control route; delay = execute() end − the moment just before that call.`,
		);
	}
	return out;
}
