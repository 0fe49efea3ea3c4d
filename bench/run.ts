import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { concurrencyOption } from '../nodes/EverGis/actions/common/descriptions';
import { REQUEST_LIMIT } from '../nodes/EverGis/transport/requestLimit';
import type { SandboxStats } from '../sandbox';
import { DEFAULT_MAX_ACTIVE_REQUESTS } from '../sandbox/options';
import { alreadyLoadedSection } from './alreadyLoaded';
import type { ChildOutcome, RssReport, ScenarioOptions } from './measure';
import { SAMPLE_EVERY_MS, flushDisks, machine, runScenario, spread, timed } from './measure';
import type { RunSummary, Scenario, TriggerPoll, UploadMode } from './protocol';
import type { Row } from './report';
import { SECTION, markdownTable, mib, sec, textTable, times, withSpread } from './report';
import { packPackage } from '../test/real-n8n/pack';
import { packProbePackage } from './probePackage';
import { N8N_VERSION } from '../test/real-n8n/install';
import type { Entrant, Preloads, RealN8nSetup, RealRun, Release } from './realN8n';
import { ENTRANTS, installedReleases, runEntrant, setUpRelease } from './realN8n';
import { SandboxProcess } from './sandboxProcess';
import type { BenchContext } from './sharedServer';
import { failFastSection, issue10Method, pollingSection, sharedSection } from './sharedServer';
import { sharedN8nMethod, sharedN8nSection } from './sharedN8n';
import { writeBigTiff } from './tiff';

// `npm run bench`: memory and speed of the 1 GiB upload, overlap of a 1,000-item batch, and the
// requests the node makes, each against a baseline measured in the same run. Prints a table and
// writes docs/BENCHMARKS.md (only with the default settings).

const BUILD_ROOT = resolve(__dirname, '..');
const REPO = resolve(BUILD_ROOT, '..', '..');
const CHILD = join(BUILD_ROOT, 'bench', 'child.js');
const SMALL_FILE = join(REPO, 'test', 'fixtures', 'rasters', 'rgb-byte-tenth.tif');
const MiB = 2 ** 20;

function envNumber(name: string, fallback: number): number {
	const raw = process.env[name];
	if (raw === undefined || raw === '') return fallback;
	const value = Number(raw);
	if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
	return value;
}

const DEFAULTS = {
	uploadMiB: 1024,
	repeats: 3,
	items: 1000,
	sweep: '8,16',
	sweepRepeats: 3,
	speedRounds: 5,
	sequentialRuns: 10,
	sections: 'upload,batch,requests,realUpload,loaded,shared,polling,failfast,shared-n8n',
	realRounds: 5,
	realOtherRounds: 3,
	realEntrants: 'evergis,httpRequest,probeRaw,probeRawDetach,evergisOldScavenger',
	realOtherEntrants: 'evergis',
	realReleases: 'all',
	n8nNodeOptions: '',
};

const settings = {
	uploadMiB: envNumber('BENCH_UPLOAD_MIB', DEFAULTS.uploadMiB),
	repeats: envNumber('BENCH_REPEATS', DEFAULTS.repeats),
	items: envNumber('BENCH_ITEMS', DEFAULTS.items),
	sweep: process.env.BENCH_SWEEP ?? DEFAULTS.sweep,
	sweepRepeats: envNumber('BENCH_SWEEP_REPEATS', DEFAULTS.sweepRepeats),
	speedRounds: envNumber('BENCH_SPEED_ROUNDS', DEFAULTS.speedRounds),
	sequentialRuns: envNumber('BENCH_SEQUENTIAL_RUNS', DEFAULTS.sequentialRuns),
	sections: process.env.BENCH_SECTIONS ?? DEFAULTS.sections,
	realRounds: envNumber('BENCH_REAL_ROUNDS', DEFAULTS.realRounds),
	realOtherRounds: envNumber('BENCH_REAL_OTHER_ROUNDS', DEFAULTS.realOtherRounds),
	realEntrants: process.env.BENCH_REAL_ENTRANTS ?? DEFAULTS.realEntrants,
	realOtherEntrants: process.env.BENCH_REAL_OTHER_ENTRANTS ?? DEFAULTS.realOtherEntrants,
	realReleases: process.env.BENCH_REAL_RELEASES ?? DEFAULTS.realReleases,
	n8nNodeOptions: process.env.BENCH_N8N_NODE_OPTIONS ?? DEFAULTS.n8nNodeOptions,
};
const isDefault = JSON.stringify(settings) === JSON.stringify(DEFAULTS);
const sections = new Set(settings.sections.split(',').map((s) => s.trim()));
const sweep = settings.sweep
	.split(',')
	.map((s) => Number(s.trim()))
	.filter((n) => Number.isFinite(n) && n > 0);

const TASK_MS = 2000;
const LATENCY_MS = 50;
const POLL_INTERVAL_S = 0.5;
const DEFAULT_CONCURRENCY = Number(concurrencyOption.default);
const TRIGGER_TASKS = 20;
const FINISH_BEFORE_POLL = [0, 5, 0, 10, 0, 5, 0];
const LOGIN_ITEMS = 50;

const log = (line: string) =>
	console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

let tmp = '';
let childCount = 0;
const sandboxes: SandboxProcess[] = [];

async function scenario(
	run: Scenario,
	options: Omit<ScenarioOptions, 'tmpDir' | 'timeoutMs'> = { memory: false },
) {
	const dir = join(tmp, `child-${++childCount}`);
	mkdirSync(dir);
	try {
		return await runScenario(CHILD, run, { ...options, tmpDir: dir, timeoutMs: 10 * 60_000 });
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

function expectOk(what: string, run: RunSummary, expected: Record<string, number>): void {
	if (run.error) throw new Error(`${what}: the workflow failed: ${run.error}`);
	const got = JSON.stringify(run.statuses);
	if (got !== JSON.stringify(expected)) {
		throw new Error(`${what}: expected output ${JSON.stringify(expected)}, got ${got}`);
	}
}

// ---------------------------------------------------------------- 1 and 2: the 1 GiB upload

interface UploadRun {
	nodeMs: number;
	/** The upload request as the sandbox logged it (from its headers to its answer). */
	serverMs: number;
	rss: RssReport;
}

interface SpeedRound {
	nodeMs: number;
	nodeServerMs: number;
	curlMs: number;
	curlServerMs: number;
	curlFirst: boolean;
}

/** The one upload the sandbox logged after request number `mark` (waits for its log line), ms. */
async function uploadLogged(
	sandbox: SandboxProcess,
	mark: number,
	size: number,
	what: string,
): Promise<number> {
	const logged = await sandbox.uploadsSince(mark, 1);
	if (logged.length !== 1) throw new Error(`${what}: ${logged.length} uploads logged`);
	const { uploads } = await sandbox.stats();
	if (uploads[uploads.length - 1]?.size !== size) {
		throw new Error(`${what}: the sandbox got a short file`);
	}
	return logged[0].ms;
}

/** `curl -F` of the file to the sandbox (a fresh token, `sync` first): its wall time and the sandbox's. */
async function curlUpload(
	sandbox: SandboxProcess,
	file: string,
	size: number,
): Promise<{ ms: number; serverMs: number }> {
	const token = await sandbox.login();
	flushDisks();
	const mark = sandbox.requests.length;
	const result = await timed('curl', [
		'-sS',
		'-F',
		'rewrite=true',
		'-F',
		`file=@${file}`,
		'-H',
		`Authorization: Bearer ${token}`,
		`${sandbox.url}/upload/file`,
	]);
	if (result.code !== 0 || !result.stdout.includes('"fileId"')) {
		throw new Error(`curl failed (${result.code}): ${result.stderr}${result.stdout}`);
	}
	return { ms: result.ms, serverMs: await uploadLogged(sandbox, mark, size, 'curl') };
}

async function uploadSection(rows: Row[], notes: string[]): Promise<void> {
	const size = settings.uploadMiB * MiB;
	const file = join(tmp, 'bench-upload.tif');
	log(`writing a ${mib(size)} TIFF to ${file}`);
	const layout = await writeBigTiff(file, size);
	if (statSync(file).size !== size) throw new Error('the raster has the wrong size');
	const sandbox = await SandboxProcess.start(BUILD_ROOT, {
		latencyMs: 0,
		taskDurationMs: 500,
		storageDir: join(tmp, 'sandbox-upload'),
		log: true,
	});
	sandboxes.push(sandbox);

	const loggedUpload = (mark: number, what: string) => uploadLogged(sandbox, mark, size, what);
	const curl = () => curlUpload(sandbox, file, size);
	const memoryRun = async (mode: UploadMode, rep: number): Promise<UploadRun> => {
		let mark = 0;
		let serverMs = 0;
		const outcome: ChildOutcome = await scenario(
			{ kind: 'upload', mode, url: sandbox.url, file, warmFile: SMALL_FILE },
			{
				memory: true,
				beforeNode: async () => {
					mark = sandbox.requests.length;
				},
				afterNode: async () => {
					serverMs = await loggedUpload(mark, mode);
				},
			},
		);
		const [rss] = outcome.rss;
		if (outcome.result.kind !== 'upload' || !rss) throw new Error(`${mode}: no measurement`);
		expectOk(
			`upload (${mode})`,
			outcome.result.run,
			mode === 'catalog' ? { Completed: 1 } : { ok: 1 },
		);
		const run = { nodeMs: outcome.result.run.nodeMs, serverMs, rss };
		log(
			`  ${mode.padEnd(8)} #${rep}: node ${sec(run.nodeMs)}, sandbox ${sec(serverMs)}, extra peak RSS ${mib(rss.peak - rss.baseline)} (baseline ${mib(rss.baseline)}, ${rss.samples} samples)`,
		);
		return run;
	};

	const memory: Array<Record<UploadMode, UploadRun>> = [];
	const rounds: SpeedRound[] = [];
	try {
		for (let rep = 1; rep <= settings.repeats; rep++) {
			log(`memory, repetition ${rep}/${settings.repeats}`);
			const catalog = await memoryRun('catalog', rep);
			const buffered = await memoryRun('buffered', rep);
			memory.push({ catalog, buffered });
		}
		const count = settings.speedRounds;
		log(`speed: ${count} rounds of File → Upload and curl, alternating which goes first`);
		let mark = 0;
		const speed = await scenario(
			{ kind: 'speed', url: sandbox.url, file, warmFile: SMALL_FILE, rounds: count },
			{
				memory: false,
				beforeNode: async (round) => {
					const curlFirst = round % 2 === 0;
					const c = curlFirst ? await curl() : undefined;
					rounds[round] = {
						curlFirst,
						curlMs: c?.ms ?? NaN,
						curlServerMs: c?.serverMs ?? NaN,
						nodeMs: NaN,
						nodeServerMs: NaN,
					};
					flushDisks();
					mark = sandbox.requests.length;
				},
				afterNode: async (round) => {
					const r = rounds[round];
					r.nodeServerMs = await loggedUpload(mark, 'File → Upload');
					if (!r.curlFirst) {
						const c = await curl();
						r.curlMs = c.ms;
						r.curlServerMs = c.serverMs;
					}
				},
			},
		);
		if (speed.result.kind !== 'speed') throw new Error('speed: no result');
		speed.result.runs.forEach((run, i) => {
			expectOk('File → Upload', run, { ok: 1 });
			rounds[i].nodeMs = run.nodeMs;
			const r = rounds[i];
			log(
				`  round ${i + 1} (${r.curlFirst ? 'curl first' : 'node first'}): node ${sec(r.nodeMs)} (sandbox ${sec(r.nodeServerMs)}), curl ${sec(r.curlMs)} (sandbox ${sec(r.curlServerMs)})`,
			);
		});
	} finally {
		rmSync(file, { force: true });
		await sandbox.stop();
	}

	const extra = (mode: UploadMode) =>
		spread(memory.map((r) => r[mode].rss.peak - r[mode].rss.baseline));
	const baselines = (mode: UploadMode) => spread(memory.map((r) => r[mode].rss.baseline));
	const section = `${SECTION.memory}. Memory while uploading a ${mib(size)} raster (filesystem binary mode, sandbox in its own process)`;
	const streamed = extra('catalog');
	rows.push({
		section,
		figure: 'EverGIS node, Raster → Upload to Catalog (wait on): extra peak RSS',
		measured: withSpread(streamed, mib),
		baseline: `RSS before the node ${withSpread(baselines('catalog'), mib)}; file ${mib(size)}`,
		ratio: `${((streamed.median / size) * 100).toFixed(2)} % of the file`,
		goal: '< 64 MiB',
		verdict: streamed.max < 64 * MiB ? 'PASS' : 'MISS',
	});
	const buffered = extra('buffered');
	rows.push({
		section,
		figure:
			'Bench-only buffered node (getBinaryDataBuffer, multipart from the Buffer): extra peak RSS',
		measured: withSpread(buffered, mib),
		baseline: `RSS before the node ${withSpread(baselines('buffered'), mib)}; file ${mib(size)}`,
		ratio: `${(buffered.median / size).toFixed(2)}× the file`,
		goal: 'reference',
		verdict: 'info',
	});
	rows.push({
		section,
		figure: 'Streamed / buffered extra peak RSS',
		measured: withSpread(streamed, mib),
		baseline: `buffered ${withSpread(buffered, mib)}`,
		ratio: withSpread(
			spread(
				memory.map(
					(r) =>
						(r.catalog.rss.peak - r.catalog.rss.baseline) /
						(r.buffered.rss.peak - r.buffered.rss.baseline),
				),
			),
			(v) => `${(v * 100).toFixed(2)} %`,
		),
		goal: 'reference',
		verdict: 'info',
	});

	const speedSection = `${SECTION.uploadSpeed}. Upload speed: the same ${mib(size)} file to the same sandbox endpoint`;
	const ratio = spread(rounds.map((r) => r.nodeMs / r.curlMs));
	rows.push({
		section: speedSection,
		figure: `EverGIS File → Upload (its execute(); warm login, the upload is its only request) / curl -F (process wall time), ${rounds.length} alternating rounds`,
		measured: withSpread(spread(rounds.map((r) => r.nodeMs)), sec),
		baseline: `curl ${withSpread(spread(rounds.map((r) => r.curlMs)), sec)}`,
		ratio: withSpread(ratio, times),
		goal: '≤ 1.25×',
		verdict: ratio.median <= 1.25 ? 'PASS' : 'MISS',
	});
	rows.push({
		section: speedSection,
		figure: 'Same rounds, timed by the sandbox (request headers → answer sent)',
		measured: withSpread(spread(rounds.map((r) => r.nodeServerMs)), sec),
		baseline: `curl ${withSpread(spread(rounds.map((r) => r.curlServerMs)), sec)}`,
		ratio: withSpread(spread(rounds.map((r) => r.nodeServerMs / r.curlServerMs)), times),
		goal: 'cross-check',
		verdict: 'info',
	});
	const curlServer = spread(rounds.map((r) => r.curlServerMs));
	const bufferedMs = spread(memory.map((r) => r.buffered.serverMs));
	rows.push({
		section: speedSection,
		figure: `Buffered node (runs of section ${SECTION.memory}, a GC forced just before: indicative): its upload request, timed by the sandbox`,
		measured: withSpread(bufferedMs, sec),
		baseline: `curl (rounds above) ${withSpread(curlServer, sec)}`,
		ratio: times(bufferedMs.median / curlServer.median),
		goal: 'reference',
		verdict: 'info',
	});

	const gaps = spread(memory.flatMap((r) => [r.catalog.rss.maxGapMs, r.buffered.rss.maxGapMs]));
	const kernel = (mode: UploadMode) =>
		withSpread(spread(memory.map((r) => r[mode].rss.kernelPeak - r[mode].rss.baseline)), mib);
	notes.push(
		`Raster: ${layout.width}×${layout.height} 8-bit grey, one uncompressed strip of ${layout.stripBytes} bytes, ${size} bytes in all; written by streaming into a temporary folder and deleted afterwards.`,
		`RSS was sampled from /proc by the parent every ${SAMPLE_EVERY_MS} ms (longest gap between two samples ${withSpread(gaps, (v) => `${v.toFixed(0)} ms`)}). Cross-check, the kernel's own peak (VmHWM, reset just before the baseline) above the baseline: streamed ${kernel('catalog')}, buffered ${kernel('buffered')}.`,
	);
}

// ---------------------------------------------------------------- 3 and 4: batches and requests

interface BatchRun {
	run: RunSummary;
	stats: SandboxStats;
}

/** The same items with Wait for Completion off (upload time) and on, one after the other. */
interface Pair {
	off: BatchRun;
	on: BatchRun;
}

async function batchSection(rows: Row[], notes: string[]): Promise<void> {
	const items = settings.items;
	const sandbox = await SandboxProcess.start(BUILD_ROOT, {
		latencyMs: LATENCY_MS,
		taskDurationMs: TASK_MS,
		storageDir: join(tmp, 'sandbox-batch'),
		log: false,
	});
	sandboxes.push(sandbox);
	const batch = async (wait: boolean, concurrency: number | undefined, count = items) => {
		await sandbox.resetStats();
		const outcome = await scenario({
			kind: 'batch',
			url: sandbox.url,
			file: SMALL_FILE,
			items: count,
			concurrency,
			wait,
			pollInterval: POLL_INTERVAL_S,
		});
		if (outcome.result.kind !== 'batch') throw new Error('batch: no result');
		const run = outcome.result.run;
		expectOk(`batch of ${count}`, run, wait ? { Completed: count } : { Scheduled: count });
		const stats = await sandbox.counters();
		log(
			`  ${count} items, wait ${wait ? 'on ' : 'off'}, concurrency ${concurrency ?? `default`}: node ${sec(run.nodeMs)}; requests ${JSON.stringify(stats.requests)} logins ${stats.logins}`,
		);
		return { run, stats } satisfies BatchRun;
	};
	const overlap = async (concurrency: number | undefined, repeats: number) => {
		const pairs: Pair[] = [];
		for (let rep = 1; rep <= repeats; rep++) {
			log(`batch, concurrency ${concurrency ?? 'default'}, repetition ${rep}/${repeats}`);
			const off = await batch(false, concurrency);
			const on = await batch(true, concurrency);
			pairs.push({ off, on });
		}
		return pairs;
	};

	let runs: BatchRun[];
	let sequentialRuns: RunSummary[] = [];
	let login: BatchRun | undefined;
	let polls: TriggerPoll[] = [];
	try {
		// The node's default first (its concurrency left unset), then the other concurrencies.
		const groups: Array<{ concurrency: number; isDefault: boolean; pairs: Pair[] }> = [];
		if (sections.has('batch')) {
			groups.push({
				concurrency: DEFAULT_CONCURRENCY,
				isDefault: true,
				pairs: await overlap(undefined, settings.repeats),
			});
			for (const c of sweep.filter((c) => c !== DEFAULT_CONCURRENCY)) {
				groups.push({
					concurrency: c,
					isDefault: false,
					pairs: await overlap(c, settings.sweepRepeats),
				});
			}
			log(`sequential submit-and-wait: ${settings.sequentialRuns} executions of one item`);
			const seq = await scenario({
				kind: 'sequential',
				url: sandbox.url,
				file: SMALL_FILE,
				runs: settings.sequentialRuns,
				pollInterval: POLL_INTERVAL_S,
			});
			if (seq.result.kind !== 'sequential') throw new Error('sequential: no result');
			sequentialRuns = seq.result.runs;
			sequentialRuns.forEach((run) => expectOk('sequential', run, { Completed: 1 }));
		}
		if (sections.has('requests')) {
			log(`requests: ${LOGIN_ITEMS} items on fresh credentials`);
			login = await batch(true, undefined, LOGIN_ITEMS);
			log(`requests: the trigger over ${TRIGGER_TASKS} tasks`);
			await sandbox.setOptions({ taskDurationMs: null });
			const trig = await scenario({
				kind: 'trigger',
				url: sandbox.url,
				file: SMALL_FILE,
				tasks: TRIGGER_TASKS,
				finishBeforePoll: FINISH_BEFORE_POLL,
			});
			await sandbox.setOptions({ taskDurationMs: TASK_MS });
			if (trig.result.kind !== 'trigger') throw new Error('trigger: no result');
			expectOk('trigger tasks', trig.result.created, { Scheduled: TRIGGER_TASKS });
			polls = trig.result.polls;
		}

		const section = `${SECTION.batch}. Batch overlap: ${items} items × 1 small file, wait on, task ${sec(TASK_MS)}, latency ${LATENCY_MS} ms, poll interval ${POLL_INTERVAL_S} s`;
		for (const { concurrency, isDefault, pairs } of groups) {
			const capacity = ((REQUEST_LIMIT.ceiling + concurrency) * 1000) / LATENCY_MS;
			const ratio = spread(pairs.map((p) => p.on.run.nodeMs / (TASK_MS + p.off.run.nodeMs)));
			// Issue 10: at the default settings the overlap must stay within 1.15×.
			const goal = isDefault ? 1.15 : 1.5;
			rows.push({
				section,
				figure: `Concurrency ${concurrency}${isDefault ? ' (the node default)' : ''}: wall time, wait on`,
				measured: withSpread(spread(pairs.map((p) => p.on.run.nodeMs)), sec),
				baseline: `${sec(TASK_MS)} task + upload time (same items, wait off) ${withSpread(spread(pairs.map((p) => p.off.run.nodeMs)), sec)}`,
				ratio: withSpread(ratio, times),
				goal: `≤ ${goal}×`,
				verdict: ratio.median <= goal ? 'PASS' : 'MISS',
			});
			const ons = pairs.map((p) => p.on);
			// Each item is two requests (upload, task) of at least the sandbox's latency each.
			const bound = (items * 2 * LATENCY_MS) / concurrency;
			notes.push(
				`Concurrency ${concurrency}: the upload phase (wait off) took ${withSpread(spread(pairs.map((p) => p.off.run.nodeMs)), sec)}; two requests per item at ${LATENCY_MS} ms each, ${concurrency} items at a time, cannot take less than ${sec(bound)}.`,
			);
			notes.push(
				`Concurrency ${concurrency}: progress requests per task while waiting ${withSpread(spread(ons.map((r) => r.stats.requests.progress / items)), (v) => v.toFixed(2))} (a ${sec(TASK_MS)} task polled every ${POLL_INTERVAL_S} s needs about ${TASK_MS / 1000 / POLL_INTERVAL_S}); their rate over the run ${withSpread(spread(ons.map((r) => r.stats.requests.progress / (r.run.nodeMs / 1000))), (v) => `${v.toFixed(0)}/s`)}, against at most ${capacity.toFixed(0)}/s that the request limit's ceiling (${REQUEST_LIMIT.ceiling} plus the Concurrency) allows at ${LATENCY_MS} ms.`,
			);
		}
		const defaultGroup = groups.find((g) => g.isDefault);
		if (sequentialRuns.length > 0 && defaultGroup) {
			const wall = spread(defaultGroup.pairs.map((p) => p.on.run.nodeMs));
			const perItem = spread(sequentialRuns.map((r) => r.nodeMs));
			const estimate =
				(sequentialRuns.reduce((t, r) => t + r.nodeMs, 0) * items) / sequentialRuns.length;
			rows.push({
				section,
				figure: `Sequential submit-and-wait, one execution per item: ${sequentialRuns.length} items measured, extrapolated linearly to ${items}`,
				measured: `≈ ${sec(estimate)} (per item ${withSpread(perItem, sec)})`,
				baseline: `batch wall, concurrency ${DEFAULT_CONCURRENCY}: ${withSpread(wall, sec)}`,
				ratio: times(estimate / wall.median),
				goal: 'reference',
				verdict: 'info',
			});
		}
		runs = groups.flatMap((g) => g.pairs.flatMap((p) => [p.off, p.on]));

		const req = `${SECTION.requests}. Requests (counted by the sandbox)`;
		if (login) {
			rows.push({
				section: req,
				figure: `Logins in one ${LOGIN_ITEMS}-item run (wait on, fresh credentials)`,
				measured: String(login.stats.logins),
				baseline: `${LOGIN_ITEMS} items`,
				ratio: `${(login.stats.logins / LOGIN_ITEMS).toFixed(2)} per item`,
				goal: '1',
				verdict: login.stats.logins === 1 ? 'PASS' : 'MISS',
			});
		}
		if (runs.length > 0) {
			const logins = spread(runs.map((r) => r.stats.logins));
			rows.push({
				section: req,
				figure: `Logins per ${items}-item run (every batch run above, each on fresh credentials)`,
				measured: withSpread(logins, String),
				baseline: `${runs.length} runs`,
				ratio: '',
				goal: '1',
				verdict: logins.min === 1 && logins.max === 1 ? 'PASS' : 'MISS',
			});
		}
		const perItem = [
			...(login ? [{ ...login, n: LOGIN_ITEMS }] : []),
			...runs.map((r) => ({ ...r, n: items })),
		];
		if (perItem.length > 0) {
			// A request the sandbox refused with 419 (busy: more than maxActiveRequests at once) was not
			// processed, and the node sends it again: what must be exactly one per item is the processed
			// requests; the refused ones are shown beside them.
			for (const [route, label] of [
				['upload', 'Upload requests per item that EverGIS processed'],
				['createTask', 'Task creations per item that EverGIS processed'],
			] as const) {
				const processed = spread(
					perItem.map((r) => (r.stats.requests[route] - r.stats.refused[route]) / r.n),
				);
				const refused = spread(perItem.map((r) => r.stats.refused[route] / r.n));
				rows.push({
					section: req,
					figure: label,
					measured: withSpread(processed, (v) => v.toFixed(3)),
					baseline: `${perItem.length} runs of ${[...new Set(perItem.map((r) => r.n))].join(' or ')} items`,
					ratio: `refused busy (419) and sent again: ${withSpread(refused, (v) => v.toFixed(3))} per item`,
					goal: 'exactly 1',
					verdict: processed.min === 1 && processed.max === 1 ? 'PASS' : 'MISS',
				});
			}
			const stored = perItem.map((r) => r.stats.uploadsStored / r.n);
			const tasks = perItem.map((r) => r.stats.tasksCreated / r.n);
			notes.push(
				`Uploads stored / item: ${withSpread(spread(stored), (v) => v.toFixed(3))}; tasks created / item: ${withSpread(spread(tasks), (v) => v.toFixed(3))} (the sandbox's own counters, beside the request counts).`,
			);
		}
		if (polls.length > 0) {
			const exact = polls.every((p) => p.progressRequests === p.notSeenEnded);
			rows.push({
				section: req,
				figure: `Trigger: progress requests per poll, ${TRIGGER_TASKS} watched tasks, some finished between polls`,
				measured: polls.map((p) => p.progressRequests).join(', '),
				baseline: `tasks not yet seen ended: ${polls.map((p) => p.notSeenEnded).join(', ')}`,
				ratio: `fired ${polls.map((p) => p.fired).join(', ')}`,
				goal: '= tasks still running at the last look',
				verdict: exact ? 'PASS' : 'MISS',
			});
			notes.push(
				`Trigger: finished before each poll ${polls.map((p) => p.finishedBefore).join(', ')}; other requests per poll (besides progress) ${polls.map((p) => p.otherRequests).join(', ')}. A task that ended since the last poll can only be known by asking it once more, so the goal per poll is the number of tasks not yet seen ended.`,
			);
		}
		notes.push(
			`The node's default concurrency is ${DEFAULT_CONCURRENCY} (option Concurrency); its requests in flight are held to an adaptive limit that starts at ${REQUEST_LIMIT.initial} and grows to ${REQUEST_LIMIT.ceiling} plus the Concurrency while EverGIS answers well; progress requests go out when the items' own requests leave room. Poll interval ${POLL_INTERVAL_S} s, set in the node's options (the editor offers 1 s at least; 0.5 s suits 2 s tasks).`,
		);
	} finally {
		await sandbox.stop();
	}
}

// ---------------------------------------------------------------- 5: inside a real n8n

interface RealRound {
	curlFirst: boolean;
	/** The sandbox's time of each upload request this round (request arrival → file stored), ms. */
	serverMs: Partial<Record<Entrant | 'curl', number>>;
	curlWallMs: number;
	runs: Partial<Record<Entrant, RealRun>>;
}

const ENTRANT_FIGURE: Record<Entrant, string> = {
	evergis: 'EverGIS Tiling, File → Upload',
	httpRequest: "n8n's HTTP Request node (v4.2), multipart from the same binary",
	probeRaw:
		'Bench-only node: the multipart body written with node:http around getBinaryStream (no axios, no request helper)',
	probeRawDetach:
		'Bench-only node as above, each chunk released (ArrayBuffer transfer) once the socket has written it',
	evergisOldScavenger:
		"EverGIS Tiling, File → Upload, n8n's Node started with V8's young-generation limit of Node 22 (--scavenger-max-new-space-capacity-mb=8)",
};

function entrantList(value: string): Entrant[] {
	return value
		.split(',')
		.map((e) => e.trim())
		.filter((e): e is Entrant => e in ENTRANTS);
}

async function realUploadSection(rows: Row[], notes: string[]): Promise<void> {
	const size = settings.uploadMiB * MiB;
	const dir = join(tmp, 'real-n8n');
	const fileDir = join(dir, 'data');
	mkdirSync(fileDir, { recursive: true });
	const file = join(fileDir, 'bench-upload.tif');
	log(`real n8n: writing a ${mib(size)} TIFF to ${file}`);
	await writeBigTiff(file, size);
	log('real n8n: npm run build + npm pack, and the bench probe package');
	const tarball = await packPackage();
	const probe = await packProbePackage(dir);
	const preloads: Preloads = {
		gcLog: join(BUILD_ROOT, 'bench', 'preload', 'gcLog.js'),
		oldScavengerLimit: join(BUILD_ROOT, 'bench', 'preload', 'oldScavengerLimit.js'),
	};
	const found = await installedReleases();
	const wanted =
		settings.realReleases === 'all'
			? found.releases
			: found.releases.filter((r) => settings.realReleases.split(',').includes(r.version));
	log(
		`real n8n: ${wanted.map((r) => `${r.version} (Node ${r.node})`).join(', ')}` +
			(found.skipped.length > 0 ? `; skipped ${found.skipped.join(', ')}` : ''),
	);
	const sandbox = await SandboxProcess.start(BUILD_ROOT, {
		latencyMs: 0,
		taskDurationMs: 500,
		storageDir: join(dir, 'sandbox'),
		log: true,
	});
	sandboxes.push(sandbox);
	const results: Array<{ release: Release; entrants: Entrant[]; rounds: RealRound[] }> = [];
	const failures: string[] = [];
	try {
		for (const release of wanted) {
			const main = release.version === N8N_VERSION;
			const entrants = entrantList(
				main ? settings.realEntrants : settings.realOtherEntrants,
			).filter((e) => e !== 'evergisOldScavenger' || Number(release.node.split('.')[0]) >= 24);
			let setup: RealN8nSetup | undefined;
			try {
				log(`n8n ${release.version}: user folder, packages, credential, workflows`);
				setup = await setUpRelease(release, {
					tarballs: [tarball, probe],
					parentDir: dir,
					fileDir,
					file,
					sandboxUrl: sandbox.url,
					entrants,
				});
				const rounds: RealRound[] = [];
				const count = main ? settings.realRounds : settings.realOtherRounds;
				for (let round = 0; round < count; round++) {
					const curlFirst = round % 2 === 0;
					const order: Array<Entrant | 'curl'> = curlFirst
						? ['curl', ...entrants]
						: [...entrants, 'curl'];
					const r: RealRound = { curlFirst, serverMs: {}, curlWallMs: NaN, runs: {} };
					for (const entrant of order) {
						if (entrant === 'curl') {
							const c = await curlUpload(sandbox, file, size);
							r.serverMs.curl = c.serverMs;
							r.curlWallMs = c.ms;
							continue;
						}
						const token = await sandbox.login();
						const mark = sandbox.requests.length;
						const run = await runEntrant(setup, entrant, token, preloads, settings.n8nNodeOptions);
						r.serverMs[entrant] = await uploadLogged(sandbox, mark, size, entrant);
						r.runs[entrant] = run;
					}
					log(
						`  n8n ${release.version} round ${round + 1}/${count}: ` +
							order
								.map((e) => {
									const run = e === 'curl' ? undefined : r.runs[e];
									const extra = run ? ` (${run.majorGcs} major GCs, CPU ${sec(run.cpuMs)})` : '';
									return `${e} ${sec(r.serverMs[e] ?? NaN)}${extra}`;
								})
								.join(', '),
					);
					rounds.push(r);
				}
				results.push({ release, entrants, rounds });
			} catch (error) {
				const message = (error as Error).message.split('\n')[0];
				log(`n8n ${release.version}: FAILED: ${(error as Error).message.slice(0, 4000)}`);
				failures.push(`n8n ${release.version}: ${message}`);
			} finally {
				setup?.folder.cleanup();
			}
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
		await sandbox.stop();
	}

	const section = `${SECTION.realN8nUpload}. Upload speed inside a real n8n: the same ${mib(size)} file, \`n8n execute\` of Manual Trigger → Read/Write Files from Disk → the uploader, sandbox in its own process`;
	for (const { release, entrants, rounds } of results) {
		const label = `n8n ${release.version} (Node ${release.node})`;
		const curlServer = spread(rounds.map((r) => r.serverMs.curl ?? NaN));
		const of = (e: Entrant, pick: (run: RealRun) => number) =>
			spread(rounds.map((r) => (r.runs[e] ? pick(r.runs[e]) : NaN)));
		for (const entrant of entrants) {
			const ms = spread(rounds.map((r) => r.serverMs[entrant] ?? NaN));
			const ratio = spread(
				rounds.map((r) => (r.serverMs[entrant] ?? NaN) / (r.serverMs.curl ?? NaN)),
			);
			const goal =
				(entrant === 'evergis' || entrant === 'evergisOldScavenger') && release.major >= 2;
			rows.push({
				section,
				figure: `${label}: ${ENTRANT_FIGURE[entrant]}. Its upload request timed by the sandbox (arrival → file stored) / curl's, ${rounds.length} alternating rounds`,
				measured: withSpread(ms, sec),
				baseline: `curl ${withSpread(curlServer, sec)}`,
				ratio: withSpread(ratio, times),
				goal: goal ? '≤ 1.25×' : 'reference',
				verdict: goal ? (ratio.median <= 1.25 ? 'PASS' : 'MISS') : 'info',
			});
		}
		if (entrants.includes('evergis') && entrants.includes('probeRaw')) {
			const ratio = spread(
				rounds.map((r) => (r.serverMs.evergis ?? NaN) / (r.serverMs.probeRaw ?? NaN)),
			);
			rows.push({
				section,
				figure: `${label}: EverGIS Tiling / the bench-only node that streams the file with node:http (what any node reading n8n's binary stream pays in this n8n), same rounds, timed by the sandbox`,
				measured: withSpread(spread(rounds.map((r) => r.serverMs.evergis ?? NaN)), sec),
				baseline: `bench-only node ${withSpread(spread(rounds.map((r) => r.serverMs.probeRaw ?? NaN)), sec)}`,
				ratio: withSpread(ratio, times),
				goal: '≤ 1.25×',
				verdict: ratio.median <= 1.25 ? 'PASS' : 'MISS',
			});
		}
		if (entrants.includes('evergis')) {
			rows.push({
				section,
				figure: `${label}: same EverGIS runs, n8n's own execution time of the node (its login included) / curl's process wall time`,
				measured: withSpread(
					of('evergis', (run) => run.nodeMs),
					sec,
				),
				baseline: `curl ${withSpread(spread(rounds.map((r) => r.curlWallMs)), sec)}`,
				ratio: withSpread(
					spread(rounds.map((r) => (r.runs.evergis?.nodeMs ?? NaN) / r.curlWallMs)),
					times,
				),
				goal: 'cross-check',
				verdict: 'info',
			});
		}
		notes.push(
			`${label}, while the uploading node ran (n8n's run data gives when; a preloaded observer recorded the n8n process's GCs and CPU time): ` +
				entrants
					.map(
						(e) =>
							`${e}: ${withSpread(
								of(e, (run) => run.majorGcs),
								String,
							)} full (mark-compact) GCs, CPU ${withSpread(
								of(e, (run) => run.cpuMs),
								sec,
							)}`,
					)
					.join('; ') +
				`. Read/Write Files from Disk took ${withSpread(spread(rounds.flatMap((r) => Object.values(r.runs).map((run) => run.readMs))), sec)} a run to put the file into binary storage (outside every figure).`,
		);
	}
	if (found.skipped.length > 0) notes.push(`Real n8n: not measured: ${found.skipped.join('; ')}.`);
	for (const failure of failures) notes.push(`Real n8n: FAILED: ${failure}`);
	if (settings.n8nNodeOptions) {
		notes.push(`Real n8n ran with NODE_OPTIONS=${settings.n8nNodeOptions}.`);
	}
}

// ---------------------------------------------------------------- main

function missed(rows: Row[]): string {
	const misses = rows.filter((row) => row.verdict === 'MISS');
	if (misses.length === 0) return 'none';
	return misses
		.map(
			(row) =>
				`${row.figure}: measured ${row.measured}, ratio ${row.ratio || 'n/a'}, goal ${row.goal}`,
		)
		.join('; ');
}

function document(rows: Row[], notes: string[], started: number): string {
	const m = machine();
	const minutes = ((performance.now() - started) / 60_000).toFixed(1);
	return `# Benchmarks

Written by \`npm run bench\` (bench/run.ts) on ${m.date}; the whole run took ${minutes} minutes.
Do not edit by hand: run it again.

Machine: ${m.cpu}, ${m.cores} cores, ${m.memory} memory, Node ${m.node}, ${m.os}. It is shared
with other work and noisy, so every figure is set against a baseline measured in the same run,
and a repeated figure is shown as median [min–max] (${settings.repeats} runs unless a row says otherwise).

## Method

- n8n's engine runs in-process (n8n-core's WorkflowExecute, binary data in **filesystem mode**:
  test/helpers/engine.ts) in a fresh child Node process per measurement; the EverGIS sandbox runs
  in its own process (its CLI). A workflow is Manual Trigger → a file node that streams files
  into n8n's binary data service → the node measured. Only the measured node's execute() is
  timed: engine start-up and reading the file into binary storage are outside.
- **Memory**: a ${settings.uploadMiB} MiB TIFF is written by streaming into a temporary folder. Before
  the node runs (the file already in binary storage; \`sync\` and a full GC first) the child
  stops and the parent reads the child's RSS (the baseline), then samples it from /proc every
  ${SAMPLE_EVERY_MS} ms until the node returns; extra peak RSS = highest sample − baseline. The
  node logs in during a warm-up run first (a small file), so the measured run's requests are
  the upload and, for Upload to Catalog, the task and its progress. The buffered node
  (bench/benchNodes.ts, not shipped) reads the file with \`getBinaryDataBuffer\` and sends a
  FormData holding a Blob of that Buffer through \`httpRequestWithAuthentication\` with n8n's
  defaults.
- **Speed**: one child stores the file once, logs in, then runs File → Upload on it
  ${settings.speedRounds} times; beside each run (before it in odd rounds, after it in even ones, \`sync\`
  before each upload) the parent runs
  \`curl -sS -F rewrite=true -F file=@… -H 'Authorization: Bearer …' …/upload/file\` against the
  same sandbox endpoint. Ratio = the node's execute() time / curl's process wall time, per
  round; the sandbox's log of each upload request is the cross-check. No GC is forced before
  these runs: a full GC just before an upload was seen to slow it by up to 1.5× on 2 cores.
- **Batch overlap**: ${settings.items} items with test/fixtures/rasters/rgb-byte-tenth.tif each, Raster →
  Upload to Catalog; ratio = wall time with Wait for Completion on / (${sec(TASK_MS)} + wall time
  of the same items with it off), the two runs one after the other. Sequential submit-and-wait
  is ${settings.sequentialRuns} executions of one item each (a warm login first), extrapolated linearly.
- **Requests**: the sandbox's counters, reset before each run; every run is a fresh child with
  fresh credentials (no token yet). The sandbox serves at most ${DEFAULT_MAX_ACTIVE_REQUESTS} requests at once, as EverGIS does
  by default, and answers 419 past that; a refused request was not processed and is sent again, so
  the rows count processed requests and show the refused ones beside them.
- **Inside a real n8n** (section ${SECTION.realN8nUpload}): \`n8n execute\` (a fresh n8n process each run) of Manual Trigger →
  Read/Write Files from Disk (the same ${settings.uploadMiB} MiB TIFF) → Flush Disks (a bench-only node
  that runs \`sync\`, as the bench does before curl) → the uploader, binary data in filesystem mode,
  in every n8n release installed in \`~/.cache/n8n-nodes-evergis\` (${N8N_VERSION} as the e2e suite
  installs it; others when the compatibility work has installed them), the sandbox in its own
  process. A round runs curl and each uploader once, curl first in odd rounds and last in even
  ones (${settings.realRounds} rounds in ${N8N_VERSION}, ${settings.realOtherRounds} in the others). The figure is
  the sandbox's own time of each upload request, from its arrival to the file being stored: n8n's
  start-up and the Read/Write node are outside it. The
  uploaders: the EverGIS node (File → Upload); n8n's HTTP Request node (multipart, the binary as a
  form field); a bench-only package (bench/probePackage.ts) whose node writes the multipart body
  itself with \`node:http\` around \`getBinaryStream\` (no axios, no request helper), plain and
  releasing each chunk (\`ArrayBuffer.prototype.transfer(0)\`) in the socket's write callback; and
  the EverGIS node again with n8n's Node given Node 22's young-generation limit
  (\`--scavenger-max-new-space-capacity-mb=8\`, set by a preload: NODE_OPTIONS refuses V8 flags).
  A preloaded observer (bench/preload/gcLog.ts) records the n8n process's garbage collections and
  CPU time; the notes give them for the time the uploading node ran.
${[...issue10Method(sections), ...(sections.has('shared-n8n') ? [sharedN8nMethod()] : [])]
	.map((text) => `- ${text}`)
	.join('\n')}

## Why an upload is slower inside n8n 2.x

Node 24 (V8 13.6) frees the short-lived Buffers of a streamed upload with full mark-compact
collections of the whole heap instead of cheap scavenges (nodejs/node#61967: V8 raised the young
generation's capacity from 8 to 32 MB, which moved the scavenge that frees young ArrayBuffers from
32 MB of them to 128 MB, above the 64 MB of external memory that starts a mark-compact). n8n's
binary stream reads a new Buffer for every chunk, so about every 64 MB of the file n8n's whole
heap (over 100 MB in \`n8n execute\`) is marked again: section ${SECTION.realN8nUpload}'s notes count the full collections
and the CPU time they cost while the node ran. Every node that streams n8n's binary data pays
this, whatever sends the bytes: the bench-only node that writes to the socket itself pays it too.
Only releasing each chunk once the socket has written it avoids it, and a community node cannot
know when that is (its HTTP goes through n8n's request helper; it may not import \`node:http\`;
releasing a chunk any earlier would free memory the socket may still be sending from). With Node
22's limit the same EverGIS node uploads at curl's speed (section ${SECTION.realN8nUpload}). n8n 1.x on Node 20 (V8 11.3)
mostly frees them with scavenges, but earlier runs of this part caught it in the same pattern
now and then (14 to 29 full collections during one upload, 1.8× to 3.3× curl's time).
Operators who move big files with n8n 2.x can start n8n's Node with that flag:
\`node --scavenger-max-new-space-capacity-mb=8 …/bin/n8n start\`.

## Results

${markdownTable(rows)}

Goals missed: ${missed(rows)}.

## Notes

${notes.map((note) => `- ${note}`).join('\n')}
`;
}

async function main(): Promise<void> {
	const started = performance.now();
	if (process.platform !== 'linux') throw new Error('the benchmark reads /proc: Linux only');
	tmp = mkdtempSync(join(tmpdir(), 'evergis-bench-'));
	const cleanup = () => rmSync(tmp, { recursive: true, force: true });
	process.once('SIGINT', () => {
		for (const s of sandboxes) void s.stop();
		cleanup();
		process.exit(130);
	});
	const rows: Row[] = [];
	const notes: string[] = [];
	const m = machine();
	log(
		`${m.cpu}, ${m.cores} cores, ${m.memory}, Node ${m.node}; settings ${JSON.stringify(settings)}`,
	);
	try {
		if (sections.has('upload')) await uploadSection(rows, notes);
		if (sections.has('batch') || sections.has('requests')) await batchSection(rows, notes);
		if (sections.has('realUpload')) await realUploadSection(rows, notes);
		if (sections.has('loaded')) {
			const { repeats, uploadMiB } = settings;
			await alreadyLoadedSection(rows, notes, {
				tmp,
				buildRoot: BUILD_ROOT,
				repo: REPO,
				repeats,
				uploadMiB,
				log,
				scenario,
			});
		}
		// Issue 10 (bench/sharedServer.ts, bench/sharedN8n.ts).
		const ctx: BenchContext = {
			buildRoot: BUILD_ROOT,
			tmp,
			smallFile: SMALL_FILE,
			repeats: settings.repeats,
			rows,
			notes,
			log,
			sandboxes,
		};
		if (sections.has('shared')) await sharedSection(ctx);
		if (sections.has('polling')) await pollingSection(ctx);
		if (sections.has('failfast')) await failFastSection(ctx);
		if (sections.has('shared-n8n')) await sharedN8nSection(ctx);
	} finally {
		cleanup();
	}
	console.log(`\n${textTable(rows)}\n\nGoals missed: ${missed(rows)}.\n`);
	for (const note of notes) console.log(`- ${note}`);
	if (isDefault) {
		const target = join(REPO, 'docs', 'BENCHMARKS.md');
		mkdirSync(join(REPO, 'docs'), { recursive: true });
		// Formatted as the repository's prettier config wants it (npm run format:check).
		const prettier = await import('prettier');
		const config = (await prettier.resolveConfig(target)) ?? {};
		const text = await prettier.format(document(rows, notes, started), {
			...config,
			filepath: target,
		});
		writeFileSync(target, text);
		log(`wrote ${target}`);
	} else {
		log('docs/BENCHMARKS.md not written: the settings are not the defaults');
	}
	log(`done in ${((performance.now() - started) / 60_000).toFixed(1)} min`);
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
