import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
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
	/** Direct calls against `remembered` entries, ms: a look-up of all item keys, a claim of one key and its release. */
	direct: { lookupMs: number[]; claimMs: number[]; releaseMs: number[] };
	rowBytes: number;
}

const NODE_ID = 'node-2';
const WORKFLOW_ID = 'wf-test';

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
	await Container.get(db.WorkflowRepository).insert({
		id: WORKFLOW_ID,
		name: 'bench',
		active: false,
		nodes: [],
		connections: {},
		versionId: '00000000-0000-0000-0000-000000000000',
		settings: {},
		staticData: null,
		triggerCount: 0,
		isArchived: false,
	});
	const helper = new DeduplicationHelper() as IDataDeduplicator;
	const store = new TimedStore(helper);
	const context: ICheckProcessedContextData = {
		workflow: { id: WORKFLOW_ID, active: false },
		node: { id: NODE_ID } as ICheckProcessedContextData['node'],
	};
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
		await helper.clearAllProcessedItems('node', context, entries);
		const others = Array.from({ length: input.remembered - items.length }, () =>
			randomBytes(32).toString('hex'),
		);
		await helper.checkProcessedAndRecord(others, 'node', context, entries);
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
			const skip = await run(on, (item) => item.json.skipped === true);
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
	await helper.checkProcessedAndRecord(keys, 'node', context, entries);
	const direct: StoreBenchResult['direct'] = { lookupMs: [], claimMs: [], releaseMs: [] };
	const timed = async (list: number[], call: () => Promise<unknown>) => {
		const started = performance.now();
		await call();
		list.push(performance.now() - started);
	};
	for (let i = 0; i < 5; i++) {
		await timed(direct.lookupMs, () =>
			helper.checkProcessedAndRecord(keys, 'node', context, entries),
		);
		const key = randomBytes(32).toString('hex');
		await timed(direct.claimMs, () =>
			helper.checkProcessedAndRecord([key], 'node', context, { ...entries, maxEntries: 100_000 }),
		);
		await timed(direct.releaseMs, () => helper.removeProcessed([key], 'node', context, entries));
	}
	const row = await Container.get(db.ProcessedDataRepository).findOne({
		where: { workflowId: WORKFLOW_ID, context: `n:${NODE_ID}` },
	});
	return { runs, direct, rowBytes: JSON.stringify(row?.value ?? {}).length };
}

main(JSON.parse(process.argv[2] ?? '{}') as StoreBenchInput).then(
	(result) => {
		process.stdout.write(`${JSON.stringify(result)}\n`);
		process.exit(0);
	},
	(error: unknown) => {
		process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
		process.exit(1);
	},
);
