import { createHash } from 'crypto';
import type {
	DeduplicationItemTypes,
	ICheckProcessedOptions,
	IDataObject,
	IExecuteFunctions,
	INodeProperties,
} from 'n8n-workflow';

import { asNodeError, operationError } from '../../shared/nodeErrors';
import { mapWithConcurrency } from '../../shared/pool';
import { isStopped, requestsOf } from '../../transport/execution';
import { normalizeHost } from '../../transport/host';
import { CREDENTIAL_TYPE } from '../../transport/request';
import { concurrencyOption } from '../common/descriptions';
import type { ItemFile } from '../common/inputFiles';

/**
 * Skip Files Already Loaded: which files this node has loaded into a catalog, remembered across
 * executions in n8n's own deduplication store (the one the Remove Duplicates node uses), so that a
 * nightly run loads only what is new, changed, or failed the night before.
 *
 * The store keeps, per workflow and node (scope 'node'), a list of MD5 hashes of the keys it was
 * given, oldest first, in n8n's database: it survives restarts and is shared by the main process and
 * every queue worker. A key names the EverGIS host, the catalog and the file (its SHA-256, or its
 * name and size). Every call reads and rewrites that list with no lock, so calls that overlap lose
 * each other's writes: every call of this process goes through one queue (`serially`).
 *
 * Per execution: one look-up for all items first (which of their files are remembered: one call,
 * however many files), then, for each file to load, a claim right before its upload; the claim stays
 * when the file is loaded (its task Completed, or was created when the node does not wait) and is
 * taken back when it is not (the upload or the task failed, the item failed, the node stopped).
 */

export type MatchFilesBy = 'content' | 'nameAndSize';
type Forget = 'nothing' | 'all' | 'theseFiles';

const DEFAULT_MAX_ENTRIES = 10_000;
/** Bumped when keys change shape: a new version starts with an empty memory instead of colliding. */
const KEY_VERSION = 1;

const showSkip = { skipAlreadyLoaded: [true] };

/** The node's fields for it (after Wait for Completion), and its options (in Options). */
export function alreadyLoadedFields(show: Record<string, string[]>): INodeProperties[] {
	return [
		{
			displayName: 'Skip Files Already Loaded',
			name: 'skipAlreadyLoaded',
			type: 'boolean',
			displayOptions: { show: { ...show, inputSource: ['binary', 'allBinary'] } },
			default: false,
			description:
				'Whether to leave out files that this node has already loaded into the catalog in an earlier execution, manual ones included (their task Completed). For scheduled loads: a file that failed is loaded again next time.',
		},
		{
			displayName: 'Match Files By',
			name: 'matchFilesBy',
			type: 'options',
			displayOptions: { show: { ...show, inputSource: ['binary', 'allBinary'], ...showSkip } },
			options: [
				{
					name: 'Content',
					value: 'content',
					description:
						'SHA-256 of the bytes, read once before the upload: a file with new content is loaded again',
				},
				{
					name: 'Name and Size',
					value: 'nameAndSize',
					description: 'The file name and its size in bytes: no extra read',
				},
			],
			default: 'content',
		},
	];
}

export const forgetEarlierLoadsOption: INodeProperties = {
	displayName: 'Forget Earlier Loads',
	name: 'forgetEarlierLoads',
	type: 'options',
	displayOptions: { show: { '/skipAlreadyLoaded': [true] } },
	options: [
		{ name: 'Nothing', value: 'nothing', description: 'Skip every file already loaded' },
		{
			name: 'All',
			value: 'all',
			description: 'Forget every file this node has loaded: all of them are loaded again',
		},
		{
			name: 'These Input Files',
			value: 'theseFiles',
			description: 'Forget the files of this execution: they are loaded again',
		},
	],
	default: 'nothing',
	description:
		'Run once with All or These Input Files to load files again (e.g. after the catalog was emptied), then set back to Nothing',
};

export const rememberAtMostOption: INodeProperties = {
	displayName: 'Remember at Most',
	name: 'rememberAtMost',
	type: 'number',
	typeOptions: { minValue: 1 },
	displayOptions: { show: { '/skipAlreadyLoaded': [true] } },
	default: DEFAULT_MAX_ENTRIES,
	description:
		'How many loaded files to remember; beyond that the earliest are forgotten (and load again if they show up). Keep it above the number of files a run sees.',
};

interface Settings {
	matchBy: MatchFilesBy;
	forget: Forget;
	maxEntries: number;
}

/** What the node knows of a file: the key it is remembered by, and what a skipped item shows. */
export interface FileIdentity {
	key: string;
	name: string;
	binaryProperty?: string;
	size?: number;
	sha256?: string;
}

interface ItemIdentities {
	settings: Settings;
	/** By binary property (unique within the item). */
	files: Map<string, FileIdentity>;
}

/** The item's catalog and files, as the operation reads them. */
export type DescribeItem = (
	itemIndex: number,
) => Promise<{ serviceName: string; files: ItemFile[] }>;

interface Lookup {
	/** Per item: its files' identities, the error met while reading them, or undefined (option off). */
	items: Array<ItemIdentities | Error | undefined>;
	/** Keys the store remembered when the execution looked. */
	remembered: Set<string>;
}

const lookups = new WeakMap<object, Promise<Lookup>>();

/**
 * The item's files as the memory knows them, or undefined when the item does not use Skip Files
 * Already Loaded. The first item to ask looks up the files of every item at once (one store call);
 * the others share that look-up.
 */
export async function alreadyLoaded(
	this: IExecuteFunctions,
	itemIndex: number,
	describe: DescribeItem,
): Promise<ItemMemory | undefined> {
	if (!skipsAlreadyLoaded(this, itemIndex)) return undefined;
	let lookup = lookups.get(this);
	if (!lookup) {
		lookup = lookUp(this, describe);
		lookups.set(this, lookup);
	}
	const { items, remembered } = await lookup;
	const identities = items[itemIndex];
	if (identities instanceof Error) throw asNodeError(this, identities, itemIndex);
	if (!identities) return undefined;
	return new ItemMemory(this, itemIndex, identities, remembered);
}

function skipsAlreadyLoaded(context: IExecuteFunctions, itemIndex: number): boolean {
	return context.getNodeParameter('skipAlreadyLoaded', itemIndex, false) === true;
}

/** One item's files in the memory: which were loaded before; claims and their outcome. */
export class ItemMemory {
	constructor(
		private readonly context: IExecuteFunctions,
		private readonly itemIndex: number,
		private readonly identities: ItemIdentities,
		private readonly remembered: Set<string>,
	) {}

	get matchBy(): MatchFilesBy {
		return this.identities.settings.matchBy;
	}

	identity(file: ItemFile): FileIdentity {
		const identity = this.identities.files.get(file.binaryProperty ?? '');
		if (!identity) {
			throw operationError(this.context.getNode(), `The file '${file.name}' was not looked up`, {
				itemIndex: this.itemIndex,
			});
		}
		return identity;
	}

	/** Remembered as loaded when the execution started. */
	wasLoaded(file: ItemFile): boolean {
		return this.remembered.has(this.identity(file).key);
	}

	/**
	 * Claims the files right before their upload: recorded as loaded from now on, so that an
	 * execution that looks at the same moment skips them. Files another execution claimed since
	 * the look-up (or another file of this one with the same key) come back as `taken`.
	 */
	async claim(files: ItemFile[]): Promise<{ claimed: ItemFile[]; taken: ItemFile[] }> {
		const keys = unique(files.map((file) => this.identity(file).key));
		const { settings } = this.identities;
		const answer = await withStore(this.context, 'record the files about to be loaded', (store) =>
			store.check(keys, { mode: 'entries', maxEntries: settings.maxEntries }),
		);
		const taken = new Set(answer.processed.map(String));
		return {
			claimed: files.filter((file) => !taken.has(this.identity(file).key)),
			taken: files.filter((file) => taken.has(this.identity(file).key)),
		};
	}

	/**
	 * Takes back the claims of files that were not loaded, so that the next execution loads them.
	 * Never throws: a failure is logged and shown as a hint, and the item's own outcome stands.
	 */
	async release(files: ItemFile[]): Promise<void> {
		if (files.length === 0) return;
		const keys = unique(files.map((file) => this.identity(file).key));
		try {
			await withStore(this.context, 'forget the files that were not loaded', (store) =>
				store.remove(keys),
			);
		} catch (error) {
			const names = files.map((file) => file.name).join(', ');
			const message =
				`${(error as Error).message}. These files stay remembered as loaded although they were not: ${names}. ` +
				"Run the node once with Options → Forget Earlier Loads → 'These Input Files' to load them again.";
			this.context.logger.warn(`EverGIS: ${message}`, { itemIndex: this.itemIndex });
			this.context.addExecutionHints({ message, type: 'warning', location: 'outputPane' });
		}
	}

	/** What a skipped output item says about the files. */
	describe(files: ItemFile[]): IDataObject[] {
		return files.map((file) => {
			const { name, binaryProperty, size, sha256 } = this.identity(file);
			return {
				name,
				...(binaryProperty !== undefined ? { binaryProperty } : {}),
				...(size !== undefined ? { size } : {}),
				...(sha256 !== undefined ? { sha256 } : {}),
			};
		});
	}
}

// ------------------------------------------------------------------------------ the look-up

async function lookUp(context: IExecuteFunctions, describe: DescribeItem): Promise<Lookup> {
	const inputs = context.getInputData();
	const host = await hostOf(context);
	const concurrency =
		Number(context.getNodeParameter('options.concurrency', 0, concurrencyOption.default)) ||
		Number(concurrencyOption.default);
	const items: Lookup['items'] = new Array(inputs.length);
	await mapWithConcurrency(
		inputs,
		concurrency,
		async (_input, itemIndex) => {
			if (!skipsAlreadyLoaded(context, itemIndex)) return;
			try {
				items[itemIndex] = await identifyItem(context, itemIndex, host, describe);
			} catch (error) {
				// The item's own execution reports it.
				items[itemIndex] = error instanceof Error ? error : new Error(String(error));
			}
		},
		() => isStopped(context),
	);
	inputs.forEach((_input, itemIndex) => {
		if (items[itemIndex] === undefined && skipsAlreadyLoaded(context, itemIndex)) {
			items[itemIndex] = new Error('The execution stopped before the item was looked up');
		}
	});
	const identified = items.filter(
		(item): item is ItemIdentities => item !== undefined && !(item instanceof Error),
	);
	if (identified.length === 0) return { items, remembered: new Set() };
	const keysOf = (item: ItemIdentities) => [...item.files.values()].map((file) => file.key);
	const keys = unique(identified.flatMap(keysOf));
	const forgetAll = identified.some((item) => item.settings.forget === 'all');
	const forget = unique(
		identified.filter((item) => item.settings.forget === 'theseFiles').flatMap(keysOf),
	);
	const maxEntries = Math.min(...identified.map((item) => item.settings.maxEntries));

	const { remembered, count } = await withStore(
		context,
		'read which files were loaded',
		async (store) => {
			if (forgetAll) await store.clear();
			else if (forget.length > 0) await store.remove(forget);
			let found = new Set<string>();
			if (keys.length > 0) {
				// The store can only check and record at once: the keys it did not know are taken out
				// again at once (one call each), and claimed file by file before their uploads.
				// No maxEntries here: recording every key for a moment must not push older entries out.
				const answer = await store.check(keys, { mode: 'entries' });
				if (answer.new.length > 0) await takeBack(context, store, answer.new);
				found = new Set(answer.processed.map(String));
			}
			return { remembered: found, count: await store.count() };
		},
	);

	if (forgetAll || forget.length > 0) {
		context.addExecutionHints({
			message:
				`Forget Earlier Loads is '${forgetAll ? 'All' : 'These Input Files'}': this execution loads those files again. ` +
				'Set it back to Nothing, or every run does.',
			type: 'warning',
			location: 'outputPane',
		});
	}
	const toRecord = keys.length - remembered.size;
	if (count + toRecord > maxEntries) {
		context.addExecutionHints({
			message:
				`Remember at Most is ${maxEntries}, and the node remembers ${count} loaded files with up to ${toRecord} more to come: ` +
				'the earliest are forgotten, and load again when they show up. Raise Remember at Most above the number of files a run sees.',
			type: 'warning',
			location: 'outputPane',
		});
	}
	return { items, remembered };
}

/** Takes keys out again that a look-up recorded, trying twice: left in, they would read as loaded. */
async function takeBack(
	context: IExecuteFunctions,
	store: Store,
	keys: DeduplicationItemTypes[],
): Promise<void> {
	try {
		await store.remove(keys);
		return;
	} catch (error) {
		context.logger.debug('EverGIS: taking back the looked-up keys failed, trying again', {
			error: (error as Error)?.message,
		});
	}
	try {
		await store.remove(keys);
	} catch (error) {
		throw operationError(
			context.getNode(),
			`${(error as Error)?.message ?? String(error)}. The ${keys.length} files of this execution that were not loaded before may now be remembered as loaded: ` +
				"run the node once with Options → Forget Earlier Loads → 'These Input Files'",
		);
	}
}

async function hostOf(context: IExecuteFunctions): Promise<string> {
	const credentials = await context.getCredentials(CREDENTIAL_TYPE);
	return normalizeHost(credentials.host);
}

async function identifyItem(
	context: IExecuteFunctions,
	itemIndex: number,
	host: string,
	describe: DescribeItem,
): Promise<ItemIdentities> {
	const settings = settingsOf(context, itemIndex);
	const { serviceName, files } = await describe(itemIndex);
	const identities = new Map<string, FileIdentity>();
	for (const file of files) {
		identities.set(
			file.binaryProperty ?? '',
			await identify(context, file, settings.matchBy, host, serviceName),
		);
	}
	return { settings, files: identities };
}

function settingsOf(context: IExecuteFunctions, itemIndex: number): Settings {
	const matchBy = context.getNodeParameter('matchFilesBy', itemIndex, 'content') as MatchFilesBy;
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const forget = (options.forgetEarlierLoads ?? 'nothing') as Forget;
	const maxEntries = Number(options.rememberAtMost ?? DEFAULT_MAX_ENTRIES);
	if (!Number.isInteger(maxEntries) || maxEntries < 1) {
		throw operationError(
			context.getNode(),
			`Remember at Most must be a whole number of at least 1, not '${String(options.rememberAtMost)}'`,
			{
				itemIndex,
				description: `Set Options → Remember at Most to, e.g., ${DEFAULT_MAX_ENTRIES}.`,
			},
		);
	}
	if (!['content', 'nameAndSize'].includes(matchBy)) {
		throw operationError(context.getNode(), `Match Files By '${String(matchBy)}' is not known`, {
			itemIndex,
		});
	}
	return { matchBy, forget, maxEntries };
}

/** The file's key: host, catalog and either its SHA-256 (read as a stream) or its name and size. */
async function identify(
	context: IExecuteFunctions,
	file: ItemFile,
	matchBy: MatchFilesBy,
	host: string,
	serviceName: string,
): Promise<FileIdentity> {
	const base = {
		name: file.name,
		...(file.binaryProperty !== undefined ? { binaryProperty: file.binaryProperty } : {}),
		...(file.size !== undefined ? { size: file.size } : {}),
	};
	if (matchBy === 'nameAndSize') {
		return {
			...base,
			key: JSON.stringify([
				'evergis',
				KEY_VERSION,
				host,
				serviceName,
				'name+size',
				file.name,
				file.size ?? null,
			]),
		};
	}
	const sha256 = await sha256Of(context, file);
	return {
		...base,
		sha256,
		key: JSON.stringify(['evergis', KEY_VERSION, host, serviceName, 'sha256', sha256]),
	};
}

/**
 * SHA-256 of the bytes the upload would send, read the way it reads them: from n8n's binary store
 * as a stream in upload-sized chunks (constant memory), or from the item when n8n keeps binary
 * data in memory. Stops when the execution stops.
 */
async function sha256Of(context: IExecuteFunctions, file: ItemFile): Promise<string> {
	if (!file.upload) {
		throw operationError(context.getNode(), `The file '${file.name}' has no content to read`);
	}
	const hash = createHash('sha256');
	const content = await file.upload.open();
	const { stopSignal } = requestsOf(context);
	try {
		for await (const chunk of content) {
			stopSignal.throwIfAborted();
			hash.update(chunk);
		}
	} finally {
		content.destroy?.();
	}
	return hash.digest('hex');
}

// ------------------------------------------------------------------------------ the store

interface Store {
	check(
		keys: string[],
		options: ICheckProcessedOptions,
	): Promise<{ new: DeduplicationItemTypes[]; processed: DeduplicationItemTypes[] }>;
	remove(keys: DeduplicationItemTypes[]): Promise<void>;
	clear(): Promise<void>;
	count(): Promise<number>;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `job` after every job queued before it in this process has ended. n8n's store reads and
 * rewrites a whole row per call without a lock, so two calls that overlap lose one's write; n8n
 * loads a package once per process, so one queue here covers every execution this process runs.
 */
async function serially<T>(job: () => Promise<T>): Promise<T> {
	const run = queue.then(job, job);
	queue = run.catch(() => undefined);
	return await run;
}

/** n8n's store (scope 'node', entries mode), with each call queued and its errors made clear. */
async function withStore<T>(
	context: IExecuteFunctions,
	what: string,
	job: (store: Store) => Promise<T>,
): Promise<T> {
	const helpers = context.helpers;
	if (typeof helpers.checkProcessedAndRecord !== 'function') {
		throw operationError(
			context.getNode(),
			"This n8n has no store for processed items (n8n's deduplication)",
			{
				description:
					'Skip Files Already Loaded needs n8n 1.64 or later. Turn it off, or update n8n.',
			},
		);
	}
	const entries = { mode: 'entries' } as const;
	const store: Store = {
		check: async (keys, options) =>
			await firstRowRetry(
				context,
				async () => await helpers.checkProcessedAndRecord(keys, 'node', options),
			),
		remove: async (keys) => await helpers.removeProcessed(keys, 'node', entries),
		clear: async () => await helpers.clearAllProcessedItems('node', entries),
		count: async () => await helpers.getProcessedDataCount('node', entries),
	};
	try {
		return await serially(async () => await job(store));
	} catch (error) {
		throw operationError(
			context.getNode(),
			`EverGIS: n8n's memory of loaded files could not ${what}: ${(error as Error)?.message ?? String(error)}`,
			{
				description:
					"Skip Files Already Loaded keeps its memory in n8n's database (the table processed_data). Check that n8n's database is reachable and the workflow is saved, or turn the option off.",
			},
		);
	}
}

/**
 * The first call for a node inserts its row: another process inserting it at the same moment makes
 * this one fail on the primary key. The row is there then, so the call is made once more.
 */
async function firstRowRetry<T>(context: IExecuteFunctions, call: () => Promise<T>): Promise<T> {
	try {
		return await call();
	} catch (error) {
		if (!/UNIQUE constraint failed|duplicate key value/i.test(String((error as Error)?.message))) {
			throw asNodeError(context, error);
		}
	}
	return await call();
}

function unique<T>(values: T[]): T[] {
	return [...new Set(values)];
}
