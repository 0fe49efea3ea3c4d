import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ListingRun, StoreBenchInput, StoreBenchResult, StoreRun } from './alreadyLoadedStore';
import type { ChildOutcome, ScenarioOptions } from './measure';
import { spread } from './measure';
import type { RunSummary, Scenario } from './protocol';
import type { Row } from './report';
import { SECTION, mib, sec, times, withSpread } from './report';
import { SandboxProcess } from './sandboxProcess';
import { writeBigTiff } from './tiff';

// `npm run bench`, section "loaded": what Skip Files Already Loaded costs. (5) Content matching on
// the big raster: the node reads the file once more (SHA-256) before uploading it; extra time and
// extra RSS against the same upload without the option, alternate rounds. (6) The check against
// n8n's real store holding 10,000 remembered files: time per item of a run whose files are all
// remembered, and the extra time per new file (its claim), against loading the same items
// without the option. (12) A nightly listing of 10,000 files of which 10 are new: Keep New Files
// before any download against n8n's store holding the other 9,990, and the whole night against
// today's Content matching over the same folder.

export interface LoadedBenchContext {
	tmp: string;
	buildRoot: string;
	repo: string;
	repeats: number;
	uploadMiB: number;
	log: (line: string) => void;
	/** Runs one scenario of bench/child.js (as bench/run.ts does). */
	scenario: (
		run: Scenario,
		options: Omit<ScenarioOptions, 'tmpDir' | 'timeoutMs'>,
	) => Promise<ChildOutcome>;
}

const MiB = 2 ** 20;
/** Items of the store runs, and the files n8n's store remembers when they look. */
const STORE_ITEMS = 500;
const REMEMBERED = 10_000;
const STORE_LATENCY_MS = 50;
/** A nightly listing (section 12): objects listed, of which this many are new. */
const LISTED = 10_000;
const LISTED_NEW = 10;

const percent = (value: number) => `${(value * 100).toFixed(1)} %`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

export async function alreadyLoadedSection(
	rows: Row[],
	notes: string[],
	ctx: LoadedBenchContext,
): Promise<void> {
	await contentCost(rows, notes, ctx);
	await storeCost(rows, notes, ctx);
}

// ------------------------------------------------------------ 5. Content matching on the big raster

interface BigRun {
	nodeMs: number;
	uploadMs: number;
	/** From the node's start to the first byte of its upload reaching the sandbox (about). */
	beforeUploadMs: number;
	extraRss: number;
	baselineRss: number;
}

async function contentCost(rows: Row[], notes: string[], ctx: LoadedBenchContext): Promise<void> {
	const size = ctx.uploadMiB * MiB;
	const file = join(ctx.tmp, 'bench-loaded.tif');
	ctx.log(`Skip Files Already Loaded: writing a ${mib(size)} TIFF`);
	await writeBigTiff(file, size);
	if (statSync(file).size !== size) throw new Error('the raster has the wrong size');
	const sandbox = await SandboxProcess.start(ctx.buildRoot, {
		latencyMs: 0,
		taskDurationMs: 500,
		storageDir: join(ctx.tmp, 'sandbox-loaded'),
		log: true,
	});
	const pairs: Array<{ off: BigRun; on: BigRun }> = [];
	const once = async (content: boolean, rep: number): Promise<BigRun> => {
		let mark = 0;
		let uploadMs = 0;
		let startedAt = 0;
		let beforeUploadMs = 0;
		const outcome = await ctx.scenario(
			{
				kind: 'upload',
				mode: 'catalog',
				url: sandbox.url,
				file,
				warmFile: join(ctx.repo, 'test', 'fixtures', 'rasters', 'rgb-byte-tenth.tif'),
				...(content ? { skipAlreadyLoaded: 'content' as const } : {}),
			},
			{
				memory: true,
				beforeNode: async () => {
					mark = sandbox.requests.length;
					startedAt = performance.now();
				},
				afterNode: async () => {
					const [logged] = await sandbox.uploadsSince(mark, 1);
					if (!logged) throw new Error('no upload logged');
					uploadMs = logged.ms;
					// The sandbox logs a request when it has answered it, with its duration.
					beforeUploadMs = logged.at - logged.ms - startedAt;
				},
			},
		);
		const [rss] = outcome.rss;
		if (outcome.result.kind !== 'upload' || !rss) throw new Error('no measurement');
		expectCompleted(outcome.result.run);
		const run = {
			nodeMs: outcome.result.run.nodeMs,
			uploadMs,
			beforeUploadMs,
			extraRss: rss.peak - rss.baseline,
			baselineRss: rss.baseline,
		};
		ctx.log(
			`  ${content ? 'Content ' : 'option off'} #${rep}: node ${sec(run.nodeMs)}, before the upload ${sec(beforeUploadMs)}, upload ${sec(uploadMs)}, extra peak RSS ${mib(run.extraRss)}`,
		);
		return run;
	};
	try {
		for (let rep = 1; rep <= ctx.repeats; rep++) {
			// Alternate which goes first.
			if (rep % 2 === 1) {
				const off = await once(false, rep);
				pairs.push({ off, on: await once(true, rep) });
			} else {
				const on = await once(true, rep);
				pairs.push({ on, off: await once(false, rep) });
			}
		}
	} finally {
		rmSync(file, { force: true });
		await sandbox.stop();
	}

	const section = `${SECTION.alreadyLoadedContent}. Skip Files Already Loaded, Match Files By Content: the ${mib(size)} raster (Upload to Catalog, wait on)`;
	const extra = spread(pairs.map((p) => p.on.nodeMs - p.off.nodeMs));
	const ratio = spread(pairs.map((p) => (p.on.nodeMs - p.off.nodeMs) / p.off.uploadMs));
	rows.push({
		section,
		figure:
			'Extra time of the node with the option on (the SHA-256 read before the upload, the store calls) / the upload of the same file (timed by the sandbox), alternate rounds',
		measured: `${withSpread(extra, sec)} (on ${withSpread(spread(pairs.map((p) => p.on.nodeMs)), sec)}, off ${withSpread(spread(pairs.map((p) => p.off.nodeMs)), sec)})`,
		baseline: `upload ${withSpread(spread(pairs.map((p) => p.off.uploadMs)), sec)}`,
		ratio: withSpread(ratio, times),
		goal: 'reference',
		verdict: 'info',
	});
	const before = spread(pairs.map((p) => p.on.beforeUploadMs - p.off.beforeUploadMs));
	rows.push({
		section,
		figure:
			'The same rounds, only the time from the node’s start to its upload’s start (the SHA-256 read, the look-up and the claim, against the catalog check alone with the option off)',
		measured: `${withSpread(before, sec)} more (on ${withSpread(spread(pairs.map((p) => p.on.beforeUploadMs)), sec)}, off ${withSpread(spread(pairs.map((p) => p.off.beforeUploadMs)), sec)})`,
		baseline: `upload ${withSpread(spread(pairs.map((p) => p.off.uploadMs)), sec)}`,
		ratio: withSpread(
			spread(pairs.map((p) => (p.on.beforeUploadMs - p.off.beforeUploadMs) / p.off.uploadMs)),
			times,
		),
		goal: 'reference',
		verdict: 'info',
	});
	const onRss = spread(pairs.map((p) => p.on.extraRss));
	const offRss = spread(pairs.map((p) => p.off.extraRss));
	rows.push({
		section,
		figure: 'Extra peak RSS of the node with the option on',
		measured: withSpread(onRss, mib),
		baseline: `option off ${withSpread(offRss, mib)}; file ${mib(size)}`,
		ratio: `${withSpread(spread(pairs.map((p) => p.on.extraRss - p.off.extraRss)), mib)} more`,
		goal: '< 64 MiB',
		verdict: onRss.max < 64 * MiB ? 'PASS' : 'MISS',
	});
	notes.push(
		`Skip Files Already Loaded (section ${SECTION.alreadyLoadedContent}): each run is a fresh child with an empty memory, so the file is new: read once for its SHA-256 (n8n's binary stream, 256 KiB chunks), claimed, uploaded, its task waited for. RSS sampled as in section ${SECTION.memory} (RSS before the node ${withSpread(spread(pairs.map((p) => p.on.baselineRss)), mib)}).`,
	);
}

function expectCompleted(run: RunSummary): void {
	if (run.error) throw new Error(`the workflow failed: ${run.error}`);
	if (JSON.stringify(run.statuses) !== JSON.stringify({ Completed: 1 })) {
		throw new Error(`expected one Completed item, got ${JSON.stringify(run.statuses)}`);
	}
}

// ------------------------------------------------------------ 6. the check against n8n's store

async function storeCost(rows: Row[], notes: string[], ctx: LoadedBenchContext): Promise<void> {
	ctx.log('Skip Files Already Loaded: n8n 2.40.7 (scripts/real-n8n/install.sh) for its store');
	const install = n8nInstall(ctx.repo);
	const dir = join(ctx.tmp, 'loaded-items');
	mkdirSync(dir, { recursive: true });
	const source = readFileSync(join(ctx.repo, 'test', 'fixtures', 'rasters', 'rgb-byte-tenth.tif'));
	const distinctFiles = (prefix: string, count: number) =>
		Array.from({ length: count }, (_, i) => {
			const path = join(dir, `${prefix}-${String(i).padStart(5, '0')}.tif`);
			// Each a different file: a line after the TIFF's last byte, which readers ignore.
			writeFileSync(path, Buffer.concat([source, Buffer.from(`\n${prefix} ${i}\n`)]));
			return path;
		});
	const files = distinctFiles('scene', STORE_ITEMS);
	const listed = distinctFiles('listed', LISTED);
	const sandbox = await SandboxProcess.start(ctx.buildRoot, {
		latencyMs: STORE_LATENCY_MS,
		taskDurationMs: 2000,
		storageDir: join(ctx.tmp, 'sandbox-store'),
		log: false,
	});
	let result: StoreBenchResult;
	try {
		const input: StoreBenchInput = {
			app: install.app,
			url: sandbox.url,
			tmp: join(ctx.tmp, 'store-child'),
			files,
			remembered: REMEMBERED,
			repeats: ctx.repeats,
			listing: { files: listed, newFiles: LISTED_NEW },
		};
		ctx.log(
			`  ${STORE_ITEMS} items, ${REMEMBERED} remembered, ${ctx.repeats} repetitions per match mode (Node ${install.node})`,
		);
		result = await runStoreChild(
			install.node,
			join(ctx.buildRoot, 'bench', 'alreadyLoadedStore.js'),
			input,
		);
	} finally {
		await sandbox.stop();
		rmSync(dir, { recursive: true, force: true });
	}
	for (const run of result.runs) {
		ctx.log(
			`  ${run.mode.padEnd(11)}: off ${sec(run.offMs)}, new ${sec(run.newMs)} (store ${sec(run.newStoreMs)}, ${JSON.stringify(run.newCalls)}), all remembered ${sec(run.skipMs)} (store ${ms(run.skipStoreMs)}, ${JSON.stringify(run.skipCalls)})`,
		);
	}

	const section = `${SECTION.alreadyLoadedStore}. Skip Files Already Loaded: ${STORE_ITEMS} items against n8n's store (n8n 2.40.7's own, SQLite) holding ${REMEMBERED.toLocaleString('en')} remembered files; sandbox latency ${STORE_LATENCY_MS} ms, wait off`;
	for (const mode of ['content', 'nameAndSize'] as const) {
		const runs = result.runs.filter((run) => run.mode === mode);
		const label = mode === 'content' ? 'Content' : 'Name and Size';
		const perItem = (select: (run: StoreRun) => number) =>
			spread(runs.map((run) => select(run) / STORE_ITEMS));
		const skip = perItem((run) => run.skipMs);
		const off = perItem((run) => run.offMs);
		rows.push({
			section,
			figure: `${label}: every file remembered (the run after a full load): time per item of the node (look-up, skipped items out)`,
			measured: withSpread(skip, ms),
			baseline: `loading the same items with the option off: ${withSpread(off, ms)} per item`,
			ratio: withSpread(spread(runs.map((run) => run.skipMs / run.offMs)), percent),
			goal: 'reference',
			verdict: 'info',
		});
		const extra = perItem((run) => run.newMs - run.offMs);
		rows.push({
			section,
			figure: `${label}: every file new: extra time per item (reading it, its claim in the store) over loading it with the option off`,
			measured: withSpread(extra, ms),
			baseline: `option off: ${withSpread(off, ms)} per item`,
			ratio: withSpread(spread(runs.map((run) => (run.newMs - run.offMs) / run.offMs)), percent),
			goal: 'reference',
			verdict: 'info',
		});
	}
	listingRows(rows, notes, result.listing);
	const skipCalls = result.runs[0]?.skipCalls ?? {};
	notes.push(
		`Skip Files Already Loaded (section ${SECTION.alreadyLoadedStore}): each item one different 17 KB file; n8n's store is n8n 2.40.7's DeduplicationHelper on its own SQLite database (migrated by n8n), run with n8n's Node 24 (its sqlite3 driver is built for it), the engine from this repository in the same process. A run whose files are all remembered makes ${Object.entries(
			skipCalls,
		)
			.map(([kind, n]) => `${n} ${kind}`)
			.join(
				', ',
			)} store call(s) for its ${STORE_ITEMS} items (${withSpread(spread(result.runs.map((run) => run.skipStoreMs)), ms)} in all) and no EverGIS request (it follows one unmeasured run after the load, which names each file once as uncertain: the load did not wait, and these runs keep no static data); a run of new files one claim per file (${withSpread(spread(result.runs.map((run) => run.newStoreMs / STORE_ITEMS)), ms)} of store time per file, one at a time through the node's queue, while uploads run beside it).`,
		`n8n's store alone at ${REMEMBERED.toLocaleString('en')} entries (a row of ${(result.rowBytes / 1024).toFixed(0)} KiB that every call reads and writes whole): a look-up of ${STORE_ITEMS} keys ${withSpread(spread(result.direct.lookupMs), ms)}, a claim of one key ${withSpread(spread(result.direct.claimMs), ms)}, its release ${withSpread(spread(result.direct.releaseMs), ms)} (5 each). On PostgreSQL each call adds the round trips; the research before this feature measured a 10,000-key call at 169–175 ms and a one-key call at 55 ms there.`,
	);
}

/** Section 12: the nightly listing against Content over the same folder. */
function listingRows(rows: Row[], notes: string[], runs: ListingRun[]): void {
	const section = `${SECTION.listing}. A nightly listing of ${LISTED.toLocaleString('en')} files, ${LISTED_NEW} of them new, against n8n's store (n8n 2.40.7's own, SQLite) holding the other ${(LISTED - LISTED_NEW).toLocaleString('en')}; sandbox latency ${STORE_LATENCY_MS} ms, wait off`;
	const reads = spread(runs.map((run) => run.listingReads));
	rows.push({
		section,
		figure:
			'Files the night downloads (reads into n8n): Keep New Files, then the download of what it let through',
		measured: withSpread(reads, (value) => value.toFixed(0)),
		baseline: `Content over the same folder reads every file: ${runs[0]?.contentReads ?? 'n/a'}`,
		ratio: withSpread(spread(runs.map((run) => run.listingReads / run.contentReads)), percent),
		goal: `exactly ${LISTED_NEW}`,
		verdict: runs.every((run) => run.listingReads === LISTED_NEW && run.passed === LISTED_NEW)
			? 'PASS'
			: 'MISS',
	});
	rows.push({
		section,
		figure:
			'Keep New Files: time per listed item (its execute(): the look-up of every key in one store call, the items out)',
		measured: withSpread(spread(runs.map((run) => run.filterMs / LISTED)), ms),
		baseline: `its store calls: ${withSpread(spread(runs.map((run) => run.filterStoreMs)), ms)} in all`,
		ratio: '',
		goal: 'reference',
		verdict: 'info',
	});
	rows.push({
		section,
		figure:
			'The whole night: Keep New Files, then reading and loading the new files by Key (two executions)',
		measured: withSpread(spread(runs.map((run) => run.listingNightMs)), sec),
		baseline: `Content over the same folder (one execution that reads every file into n8n and hashes it): ${withSpread(spread(runs.map((run) => run.contentNightMs)), sec)}`,
		ratio: withSpread(spread(runs.map((run) => run.listingNightMs / run.contentNightMs)), times),
		goal: '< 1×',
		verdict: runs.every((run) => run.listingNightMs < run.contentNightMs) ? 'PASS' : 'MISS',
	});
	const calls = runs[0]?.filterCalls ?? {};
	notes.push(
		`Nightly listing (section ${SECTION.listing}): ${LISTED.toLocaleString('en')} different 17 KB files on the bench machine's disk stand for the objects of a bucket; the listing is their JSON ({Key, ETag}, as S3 Get Many gives), and "downloading" a file is reading it into n8n's binary store (filesystem mode), which is all the folder night does with each file too. The ${(LISTED - LISTED_NEW).toLocaleString('en')} older files were loaded on earlier nights: their keys are put into each night's workflow memory first (by Key for the listed night, by SHA-256 for the Content night). Keep New Files made ${Object.entries(
			calls,
		)
			.map(([kind, n]) => `${n} ${kind}`)
			.join(
				', ',
			)} store call(s) and asked EverGIS only for the catalog; it let through ${withSpread(spread(runs.map((run) => run.passed)), (v) => v.toFixed(0))} items, and the load after it created ${withSpread(spread(runs.map((run) => run.loaded.listing)), (v) => v.toFixed(0))} tasks (the Content night ${withSpread(spread(runs.map((run) => run.loaded.content)), (v) => v.toFixed(0))}). Here the files are small and local, so the Content night's cost is reading and hashing 170 MB; with rasters of hundreds of MB in a bucket, it is downloading every one of them.`,
	);
}

function n8nInstall(repo: string): { app: string; node: string } {
	const out = execFileSync('bash', [join(repo, 'scripts', 'real-n8n', 'install.sh')], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	const value = (key: string) => {
		const match = new RegExp(`^${key}=(.*)$`, 'm').exec(out);
		if (!match) throw new Error(`install.sh did not print ${key}`);
		return match[1];
	};
	return { app: value('EVERGIS_N8N_APP'), node: value('EVERGIS_N8N_NODE') };
}

async function runStoreChild(
	node: string,
	script: string,
	input: StoreBenchInput,
): Promise<StoreBenchResult> {
	// The input names every listed file (10,000 paths): a file, as one argument that long passes
	// Linux's limit on a single argument (spawn E2BIG).
	const inputFile = join(input.tmp, 'input.json');
	mkdirSync(input.tmp, { recursive: true });
	writeFileSync(inputFile, JSON.stringify(input));
	const child = spawn(node, [script, inputFile], {
		stdio: ['ignore', 'pipe', 'inherit'],
		env: { ...process.env, N8N_DIAGNOSTICS_ENABLED: 'false' },
	});
	let stdout = '';
	child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
	const code = await new Promise<number | null>((resolve, reject) => {
		child.once('error', reject);
		child.once('close', resolve);
	});
	if (code !== 0) throw new Error(`the store child exited with ${code}`);
	const last = stdout.trim().split('\n').pop() ?? '';
	return JSON.parse(last) as StoreBenchResult;
}
