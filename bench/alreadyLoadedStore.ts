import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import type {
	DeduplicationItemTypes,
	DeduplicationScope,
	ICheckProcessedContextData,
	ICheckProcessedOptions,
	IDataDeduplicator,
	IExecuteFunctions,
	INodeExecutionData,
	INodeParameters,
	INodeType,
} from 'n8n-workflow';

import { EverGisTiling } from '../nodes/EverGis/EverGisTiling.node';
import { keyFromContent, keyFromFileKey } from '../nodes/EverGis/actions/raster/alreadyLoaded';
import { normalizeHost } from '../nodes/EverGis/transport/host';
import { NODE, TestEngine } from '../test/helpers/engine';
import { CREDENTIALS, tilingWorkflow, uploadParameters } from '../test/helpers/workflows';
import { USER } from './sandboxProcess';

// Skip Files Already Loaded against n8n's real deduplication store: n8n 2.40.7's own
// DeduplicationHelper on its own SQLite database (its default), migrated by n8n itself, under the
// in-process engine. Run by bench/alreadyLoaded.ts with n8n's Node 24 (n8n's sqlite3 driver is
// built for it): `node alreadyLoadedStore.js '<StoreBenchInput as JSON>'`; prints one JSON line.

export interface StoreBenchInput {
	/** n8n's node_modules folder (scripts/real-n8n/install.sh). */
	app: string;
	/** The sandbox's API URL. */
	url: string;
	/** Folder for n8n's database. */
	tmp: string;
	/** The item files, one per item, all different. */
	files: string[];
	/** How many files the node remembers when a run looks (the items' included). */
	remembered: number;
	repeats: number;
	/** A nightly listing: `files` (one per listed object), of which the last `newFiles` are new. */
	listing: { files: string[]; newFiles: number };
}

/** A listing filtered before any download (Keep New Files) against Content over the same folder. */
export interface ListingRun {
	/** Keep New Files over the listing: the node's execute(), ms; and how many it let through. */
	filterMs: number;
	passed: number;
	filterStoreMs: number;
	filterCalls: Record<string, number>;
	/** The whole listing night: the filter run, then the run that downloads (reads) and loads the new files. */
	listingNightMs: number;
	/** Today's way: one run reading every file into n8n and loading by Content; whole run, ms. */
	contentNightMs: number;
	/** Files each night read into n8n (downloaded): the listing's new ones, or every file. */
	listingReads: number;
	contentReads: number;
	loaded: { listing: number; content: number };
}

export interface StoreRun {
	mode: 'content' | 'nameAndSize';
	/** Option off, wait off: the items uploaded and their tasks created. */
	offMs: number;
	/** Option on, every file new: each claimed before its upload. */
	newMs: number;
	/** Option on again: every file remembered, nothing uploaded. */
	skipMs: number;
	skipped: number;
	/** Store calls of the skip run, by kind, and their total time (ms). */
	skipCalls: Record<string, number>;
	skipStoreMs: number;
	/** Store calls of the run with new files, and their total time (ms). */
	newCalls: Record<string, number>;
	newStoreMs: number;
}

export interface StoreBenchResult {
	runs: StoreRun[];
	listing: ListingRun[];
	/** Direct calls against `remembered` entries, ms: a look-up of all item keys, a claim of one key and its release. */
	direct: { lookupMs: number[]; claimMs: number[]; releaseMs: number[] };
	rowBytes: number;
}

const NODE_ID = 'node-2';
const WORKFLOW_ID = 'wf-test';
/** The listing night and the Content night each keep their memory in a workflow of their own. */
const LISTING_WORKFLOW = 'wf-listing';
const CONTENT_WORKFLOW = 'wf-content';
const CATALOG = 'demo.landsat_images';

/** Times every call it passes on to n8n's store. */
class TimedStore implements IDataDeduplicator {
	calls: Record<string, number> = {};
	ms = 0;

	constructor(private readonly inner: IDataDeduplicator) {}

	reset(): void {
		this.calls = {};
		this.ms = 0;
	}

	private async time<T>(kind: string, call: () => Promise<T>): Promise<T> {
		const started = performance.now();
		try {
			return await call();
		} finally {
			this.ms += performance.now() - started;
			this.calls[kind] = (this.calls[kind] ?? 0) + 1;
		}
	}

	checkProcessedAndRecord(
		items: DeduplicationItemTypes[],
		scope: DeduplicationScope,
		context: ICheckProcessedContextData,
		options: ICheckProcessedOptions,
	) {
		return this.time('check', () =>
			this.inner.checkProcessedAndRecord(items, scope, context, options),
		);
	}

	removeProcessed(
		items: DeduplicationItemTypes[],
		scope: DeduplicationScope,
		context: ICheckProcessedContextData,
		options: ICheckProcessedOptions,
	) {
		return this.time('remove', () => this.inner.removeProcessed(items, scope, context, options));
	}

	clearAllProcessedItems(
		scope: DeduplicationScope,
		context: ICheckProcessedContextData,
		options: ICheckProcessedOptions,
	) {
		return this.time('clear', () => this.inner.clearAllProcessedItems(scope, context, options));
	}

	getProcessedDataCount(
		scope: DeduplicationScope,
		context: ICheckProcessedContextData,
		options: ICheckProcessedOptions,
	) {
		return this.time('count', () => this.inner.getProcessedDataCount(scope, context, options));
	}
}

/** The EverGIS node with its execute() timed. */
function timedNode(timing: { ms: number }): INodeType {
	const inner = new EverGisTiling();
	return {
		description: inner.description,
		methods: inner.methods,
		async execute(this: IExecuteFunctions) {
			const started = performance.now();
			try {
				return await inner.execute.call(this);
			} finally {
				timing.ms = performance.now() - started;
			}
		},
	};
}

async function main(input: StoreBenchInput): Promise<StoreBenchResult> {
	// n8n's own database layer, on SQLite in a folder of its own, set up before the engine (which
	// points N8N_USER_FOLDER elsewhere for its binary data).
	const userFolder = join(input.tmp, 'n8n-store');
	mkdirSync(userFolder, { recursive: true });
	process.env.N8N_USER_FOLDER = userFolder;
	const app = createRequire(join(input.app, 'package.json'));
	app('reflect-metadata');
	const { Container } = app('@n8n/di');
	const db = app('@n8n/db');
	const { DeduplicationHelper } = app('n8n/dist/deduplication/deduplication-helper');
	const connection = Container.get(db.DbConnection);
	await connection.init();
	await connection.migrate();
	for (const id of [WORKFLOW_ID, LISTING_WORKFLOW, CONTENT_WORKFLOW]) {
		await Container.get(db.WorkflowRepository).insert({
			id,
			name: `bench ${id}`,
			active: false,
			nodes: [],
			connections: {},
			versionId: '00000000-0000-0000-0000-000000000000',
			settings: {},
			staticData: null,
			triggerCount: 0,
			isArchived: false,
		});
	}
	const helper = new DeduplicationHelper() as IDataDeduplicator;
	const store = new TimedStore(helper);
	// The memory is the workflow's (scope 'workflow'), as Upload to Catalog keeps it.
	const context: ICheckProcessedContextData = {
		workflow: { id: WORKFLOW_ID, active: false },
		node: { id: NODE_ID } as ICheckProcessedContextData['node'],
	};
	const scope = 'workflow' as const;
	const entries = { mode: 'entries' } as const;

	const engine = await TestEngine.create({ deduplicator: store });
	engine.setCredentials(CREDENTIALS.everGisApi.id, { host: input.url, ...USER });
	const timing = { ms: 0 };
	engine.nodeTypes.register(NODE.tiling, timedNode(timing));
	const items = input.files.map((file) => ({ files: { data: file } }));
	const run = async (
		parameters: INodeParameters,
		expect: (item: INodeExecutionData) => boolean,
	) => {
		store.reset();
		const result = await engine.run(
			tilingWorkflow(uploadParameters('demo.landsat_images', parameters), items),
		);
		if (result.error) throw result.error;
		const out = result.output('EverGIS');
		const good = out.filter(expect).length;
		if (good !== items.length) {
			throw new Error(
				`expected ${items.length} items, ${good} as expected: ${JSON.stringify(out[0]?.json)}`,
			);
		}
		return { ms: timing.ms, calls: { ...store.calls }, storeMs: store.ms, count: good };
	};
	// Earlier nights: the other remembered files, as random keys.
	const seed = async () => {
		await helper.clearAllProcessedItems(scope, context, entries);
		const others = Array.from({ length: input.remembered - items.length }, () =>
			randomBytes(32).toString('hex'),
		);
		await helper.checkProcessedAndRecord(others, scope, context, entries);
	};

	const runs: StoreRun[] = [];
	for (let rep = 0; rep < input.repeats; rep++) {
		for (const mode of ['content', 'nameAndSize'] as const) {
			await seed();
			const on = { skipAlreadyLoaded: true, matchFilesBy: mode, waitForCompletion: false };
			const off = async () =>
				await run({ waitForCompletion: false }, (item) => item.json.status === 'Scheduled');
			// Alternate which goes first: the option-off run or the one that loads new files.
			const offFirst = rep % 2 === 0;
			const before = offFirst ? await off() : undefined;
			const fresh = await run(on, (item) => item.json.status === 'Scheduled');
			const after = offFirst ? undefined : await off();
			// The run after a load without waiting names each file once ("uncertain": no run saw its
			// task end, and these manual runs keep no static data); the run after that is the steady
			// state of a nightly load, the one measured.
			await run(on, (item) => item.json.reason === 'uncertain');
			const skip = await run(on, (item) => item.json.reason === 'alreadyLoaded');
			runs.push({
				mode,
				offMs: (before ?? after)!.ms,
				newMs: fresh.ms,
				skipMs: skip.ms,
				skipped: skip.count,
				skipCalls: skip.calls,
				skipStoreMs: skip.storeMs,
				newCalls: fresh.calls,
				newStoreMs: fresh.storeMs,
			});
		}
	}

	// n8n's store alone, with `remembered` entries: what one call costs.
	const keys = Array.from({ length: items.length }, () => randomBytes(32).toString('hex'));
	await seed();
	await helper.checkProcessedAndRecord(keys, scope, context, entries);
	const direct: StoreBenchResult['direct'] = { lookupMs: [], claimMs: [], releaseMs: [] };
	const timed = async (list: number[], call: () => Promise<unknown>) => {
		const started = performance.now();
		await call();
		list.push(performance.now() - started);
	};
	for (let i = 0; i < 5; i++) {
		await timed(direct.lookupMs, () =>
			helper.checkProcessedAndRecord(keys, scope, context, entries),
		);
		const key = randomBytes(32).toString('hex');
		await timed(direct.claimMs, () =>
			helper.checkProcessedAndRecord([key], scope, context, { ...entries, maxEntries: 100_000 }),
		);
		await timed(direct.releaseMs, () => helper.removeProcessed([key], scope, context, entries));
	}
	const row = await Container.get(db.ProcessedDataRepository).findOne({
		where: { workflowId: WORKFLOW_ID, context: '' },
	});
	const listing: ListingRun[] = [];
	for (let rep = 0; rep < input.repeats; rep++) {
		listing.push(await listingNight(engine, helper, store, timing, input));
	}
	return { runs, listing, direct, rowBytes: JSON.stringify(row?.value ?? {}).length };
}

/**
 * One night over a folder of `listing.files` of which the last `newFiles` are new, the other files
 * loaded on earlier nights (their keys put into each workflow's memory first, in one call):
 * - listed: Keep New Files over the listing (JSON items {Key, ETag}, as S3 Get Many gives), then a run
 *   that reads ("downloads") only the files it let through and loads them by Key;
 * - Content (today's way for a folder): one run that reads every file into n8n's binary store and
 *   loads by Content, which hashes each one.
 * Wait off: the nights are timed to their tasks' creation.
 */
async function listingNight(
	engine: TestEngine,
	helper: IDataDeduplicator,
	store: TimedStore,
	timing: { ms: number },
	input: StoreBenchInput,
): Promise<ListingRun> {
	const host = normalizeHost(input.url);
	const { files, newFiles } = input.listing;
	const objects = files.map((path, index) => ({
		path,
		Key: `incoming/scene-${String(index).padStart(5, '0')}.tif`,
		ETag: `"${createHash('md5').update(path).digest('hex')}"`,
	}));
	const old = objects.slice(0, files.length - newFiles);
	const seed = async (workflowId: string, keys: string[]) => {
		const context = { workflow: { id: workflowId, active: false } };
		await helper.clearAllProcessedItems('workflow', context, { mode: 'entries' });
		await helper.checkProcessedAndRecord(keys, 'workflow', context, { mode: 'entries' });
	};
	await seed(
		LISTING_WORKFLOW,
		old.map((object) => keyFromFileKey(host, CATALOG, `${object.Key}:${object.ETag}`)),
	);
	await seed(
		CONTENT_WORKFLOW,
		old.map((object) =>
			keyFromContent(
				host,
				CATALOG,
				createHash('sha256').update(readFileSync(object.path)).digest('hex'),
			),
		),
	);
	const FILE_KEY = '={{ $json.Key }}:{{ $json.ETag }}';

	// The listed night: the filter, then the download and load of what it let through.
	const listingStarted = performance.now();
	store.reset();
	const filter = await engine.run({
		...tilingWorkflow(
			{
				resource: 'raster',
				operation: 'keepNewFiles',
				catalog: { __rl: true, mode: 'name', value: CATALOG },
				fileKey: FILE_KEY,
			},
			objects.map(({ Key, ETag }) => ({ json: { Key, ETag } })),
		),
		id: LISTING_WORKFLOW,
	});
	if (filter.error) throw filter.error;
	const filterMs = timing.ms;
	const filterStoreMs = store.ms;
	const filterCalls = { ...store.calls };
	const passed = filter.output('EverGIS', 0).map((item) => item.json.Key as string);
	const toLoad = objects.filter((object) => passed.includes(object.Key));
	const listed = await engine.run({
		...tilingWorkflow(
			uploadParameters(CATALOG, {
				skipAlreadyLoaded: true,
				matchFilesBy: 'key',
				fileKey: FILE_KEY,
				waitForCompletion: false,
			}),
			toLoad.map(({ Key, ETag, path }) => ({ json: { Key, ETag }, files: { data: path } })),
		),
		id: LISTING_WORKFLOW,
	});
	if (listed.error) throw listed.error;
	const listingNightMs = performance.now() - listingStarted;

	// Today's way over the same folder.
	const content = await engine.run({
		...tilingWorkflow(
			uploadParameters(CATALOG, {
				skipAlreadyLoaded: true,
				matchFilesBy: 'content',
				waitForCompletion: false,
			}),
			objects.map(({ path }) => ({ files: { data: path } })),
		),
		id: CONTENT_WORKFLOW,
	});
	if (content.error) throw content.error;
	const scheduled = (run: Awaited<ReturnType<TestEngine['run']>>) =>
		run.output('EverGIS').filter((item) => item.json.status === 'Scheduled').length;
	return {
		filterMs,
		passed: passed.length,
		filterStoreMs,
		filterCalls,
		listingNightMs,
		contentNightMs: content.durationMs,
		listingReads: toLoad.length,
		contentReads: objects.length,
		loaded: { listing: scheduled(listed), content: scheduled(content) },
	};
}

main(JSON.parse(readFileSync(process.argv[2], 'utf8')) as StoreBenchInput).then(
	(result) => {
		process.stdout.write(`${JSON.stringify(result)}\n`);
		process.exit(0);
	},
	(error: unknown) => {
		process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
		process.exit(1);
	},
);
