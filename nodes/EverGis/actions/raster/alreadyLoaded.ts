import { createHash } from 'crypto';
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { asNodeError, operationError } from '../../shared/nodeErrors';
import { mapWithConcurrency } from '../../shared/pool';
import { checkCatalogExists } from '../../transport/catalogs';
import { hostOf } from '../../transport/request';
import type { EverGisRun } from '../../transport/run';
import type { WaitOutcome } from '../../transport/waitForTask';
import type { ItemFile } from '../common/inputFiles';
import type { FileState, Forget, LookUpOptions } from './loadMemory';
import { LoadMemory } from './loadMemory';

/**
 * Skip Files Already Loaded: the option's fields, the files' keys, and how a run finds the keys of
 * its items (Upload to Catalog's files; Keep New Files' and Mark as Loaded's listing). What the
 * memory holds and every rule of a file's life are in loadMemory.ts. A file is keyed by the EverGIS
 * host, the catalog and either its SHA-256 (read as a stream), its name and size, or a key the
 * user's expression gives (e.g. an S3 object's key and ETag): the same key Raster → Keep New Files
 * and Mark as Loaded read from a listing before any download.
 */

export type MatchFilesBy = 'content' | 'nameAndSize' | 'key';

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
				'Whether to leave out files that this workflow has already loaded into the catalog, in any earlier execution (manual ones included). A file whose task failed loads again next time; a file no run could confirm (e.g. its task creation got no answer) is never loaded twice: its skipped item says "uncertain".',
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
				{
					name: 'Key',
					value: 'key',
					description:
						'A key you give per item, e.g. the S3 object key and ETag: the same as Keep New Files uses on the listing',
				},
			],
			default: 'content',
		},
		{
			...fileKeyField,
			displayOptions: {
				show: { ...show, inputSource: ['binary', 'allBinary'], ...showSkip, matchFilesBy: ['key'] },
			},
		},
	];
}

/** The user's key of an item's file (Match Files By → Key, and Keep New Files). */
export const fileKeyField: INodeProperties = {
	displayName: 'File Key',
	name: 'fileKey',
	type: 'string',
	default: '',
	placeholder: 'e.g. {{ $json.Key }}:{{ $json.ETag }}',
	hint: 'What tells this file (and this version of it) apart, from the item: S3 Get Many gives Key and ETag; FTP List gives path, size and modifyTime',
	description:
		'An expression that gives the same text for the same file and version, and another one when the file changes',
};

/** The key of a file given by the user's File Key. An item with several files adds the file's property. */
export function keyFromFileKey(
	host: string,
	serviceName: string,
	userKey: string,
	binaryProperty?: string,
): string {
	return JSON.stringify([
		'evergis',
		KEY_VERSION,
		host,
		serviceName,
		'key',
		userKey,
		...(binaryProperty === undefined ? [] : [binaryProperty]),
	]);
}

/** The key of a file by its content (Match Files By → Content). */
export function keyFromContent(host: string, serviceName: string, sha256: string): string {
	return JSON.stringify(['evergis', KEY_VERSION, host, serviceName, 'sha256', sha256]);
}

/** The File Key of an item, checked: an empty one is an error that says what to give. */
export function fileKeyOf(context: IExecuteFunctions, itemIndex: number): string {
	const value = context.getNodeParameter('fileKey', itemIndex, '');
	const key = typeof value === 'string' ? value.trim() : JSON.stringify(value ?? '');
	if (!/[\p{L}\p{N}]/u.test(key)) {
		throw operationError(
			context.getNode(),
			`File Key is empty for this item${key ? ` ('${key}')` : ''}`,
			{
				itemIndex,
				description:
					'Give an expression that names the file and its version, e.g. {{ $json.Key }}:{{ $json.ETag }} for S3 Get Many, or {{ $json.path }}:{{ $json.size }}:{{ $json.modifyTime }} for FTP List.',
			},
		);
	}
	return key;
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
			description:
				'Forget every file this workflow has loaded, into any catalog: all of them are loaded again',
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
		'How many entries the memory keeps (a loaded file takes one; while a run loads a file, up to five until the run ends). Beyond that the earliest are forgotten, and load again if they show up. Keep it above the number of files a run sees.',
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

/** The item's catalog and files, as the operation reads them. */
export type DescribeItem = (
	itemIndex: number,
) => Promise<{ serviceName: string; files: ItemFile[]; checkCatalog: boolean }>;

interface ItemLookup {
	settings: Settings;
	/** By binary property (unique within the item). */
	files: Map<string, FileIdentity>;
}

/**
 * Skip Files Already Loaded for one run of Upload to Catalog: every item's files are identified
 * (first the catalogs, so that a misspelt one fails before any file is read; then each item's files,
 * hashed Concurrency at a time), then looked up in the memory in one call (loadMemory.ts), which
 * claims the new ones. Made where the run starts, before anything can fail, so that the run's end
 * (`finish`) always lets go of what it claimed.
 */
export class AlreadyLoaded {
	readonly memory: LoadMemory;
	private items: Array<ItemLookup | Error | undefined> = [];

	constructor(
		private readonly context: IExecuteFunctions,
		private readonly run: EverGisRun,
	) {
		this.memory = new LoadMemory(run, context, 'load');
	}

	/** The look-up, when some item has Skip Files Already Loaded on. */
	async lookUp(concurrency: number, describe: DescribeItem): Promise<void> {
		const { context, run } = this;
		const inputs = context.getInputData();
		const skips = (itemIndex: number) =>
			context.getNodeParameter('skipAlreadyLoaded', itemIndex, false) === true;
		if (!inputs.some((_input, itemIndex) => skips(itemIndex))) return;
		const host = await hostOf(run);
		const items: Array<ItemLookup | Error | undefined> = new Array(inputs.length);
		await mapWithConcurrency(
			inputs,
			concurrency,
			async (_input, itemIndex) => {
				if (!skips(itemIndex)) return;
				try {
					items[itemIndex] = await identifyItem(context, run, itemIndex, host, describe);
				} catch (error) {
					// The item's own work reports it.
					items[itemIndex] = error instanceof Error ? error : new Error(String(error));
				}
			},
			() => run.signal.aborted,
		);
		inputs.forEach((_input, itemIndex) => {
			if (items[itemIndex] === undefined && skips(itemIndex)) {
				items[itemIndex] = new Error('The execution stopped before the item was looked up');
			}
		});
		this.items = items;
		const identified = items.filter(
			(item): item is ItemLookup => item !== undefined && !(item instanceof Error),
		);
		if (identified.length === 0) return;
		const forgetAll = identified.some((item) => item.settings.forget === 'all');
		const forgetThese = identified.some((item) => item.settings.forget === 'theseFiles');
		await this.memory.lookUp(
			identified.flatMap((item) => [...item.files.values()].map((file) => file.key)),
			{
				forget: forgetAll ? 'all' : forgetThese ? 'theseFiles' : 'nothing',
				maxEntries: Math.min(...identified.map((item) => item.settings.maxEntries)),
				readNodeMemory: true,
			},
		);
		if (forgetAll || forgetThese) {
			context.addExecutionHints({
				message:
					`Forget Earlier Loads is '${forgetAll ? 'All' : 'These Input Files'}': this execution loads those files again. ` +
					'Set it back to Nothing, or every run does.',
				type: 'warning',
				location: 'outputPane',
			});
		}
	}

	/** The item's files as the memory knows them, or undefined when the item does not use the option. */
	forItem(itemIndex: number): ItemMemory | undefined {
		const item = this.items[itemIndex];
		if (item instanceof Error) throw asNodeError(this.context, item, itemIndex);
		if (!item) return undefined;
		return new ItemMemory(this.context, itemIndex, item, this.memory);
	}
}

/** One item's files in the memory: each by its key. */
export class ItemMemory {
	constructor(
		private readonly context: IExecuteFunctions,
		private readonly itemIndex: number,
		private readonly lookup: ItemLookup,
		private readonly memory: LoadMemory,
	) {}

	get matchBy(): MatchFilesBy {
		return this.lookup.settings.matchBy;
	}

	identity(file: ItemFile): FileIdentity {
		const identity = this.lookup.files.get(file.binaryProperty ?? '');
		if (!identity) {
			throw operationError(this.context.getNode(), `The file '${file.name}' was not looked up`, {
				itemIndex: this.itemIndex,
			});
		}
		return identity;
	}

	/** What the memory says of the file for this item: a new one is this item's to load. */
	take(file: ItemFile): FileState {
		return this.memory.take(this.identity(file).key);
	}

	async taskCreated(files: ItemFile[], taskId: string): Promise<void> {
		await this.memory.taskCreated(this.keys(files), taskId);
	}

	async taskMayExist(files: ItemFile[], error: unknown): Promise<void> {
		await this.memory.taskMayExist(this.keys(files), error);
	}

	async taskEnded(files: ItemFile[], outcome: WaitOutcome): Promise<void> {
		await this.memory.taskEnded(this.keys(files), outcome);
	}

	/** These files will not be loaded by this item (it failed before their task): their claims go. */
	async letGo(files: ItemFile[]): Promise<void> {
		await this.memory.letGo(this.keys(files));
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

	private keys(files: ItemFile[]): string[] {
		return files.map((file) => this.identity(file).key);
	}
}

/** Keep New Files and Mark as Loaded: each item's key (catalog and File Key), or why it has none. */
export interface ListingKeys {
	keys: Array<string | Error>;
	forget: Forget;
	maxEntries: number;
}

/** Keep New Files' and Mark as Loaded's run: each item's key (or why it has none), and their memory. */
export interface Listing {
	memory: LoadMemory;
	keys: Array<string | Error>;
}

/**
 * Keep New Files and Mark as Loaded: the keys of the listing's items, then one look-up of them all
 * in the listing's memory, with the options `lookUpOptions` makes of what the items' parameters say.
 */
export async function lookUpListing(
	context: IExecuteFunctions,
	listing: Listing,
	run: EverGisRun,
	concurrency: number,
	lookUpOptions: (asked: ListingKeys) => LookUpOptions,
): Promise<ListingKeys> {
	const asked = await listingKeys(context, run, concurrency);
	listing.keys = asked.keys;
	const keys = asked.keys.filter((key): key is string => typeof key === 'string');
	if (keys.length > 0) await listing.memory.lookUp(keys, lookUpOptions(asked));
	return asked;
}

/**
 * The keys of a listing's items (items without files: S3 Get Many, FTP List, …): the catalogs
 * first (each once per run), Concurrency items at a time; an item's error is kept for its own work.
 */
async function listingKeys(
	context: IExecuteFunctions,
	run: EverGisRun,
	concurrency: number,
): Promise<ListingKeys> {
	const inputs = context.getInputData();
	const host = await hostOf(run);
	const keys: Array<string | Error> = new Array(inputs.length);
	let forget: Forget = 'nothing';
	let maxEntries = Number.POSITIVE_INFINITY;
	await mapWithConcurrency(inputs, concurrency, async (_input, itemIndex) => {
		try {
			const serviceName = context.getNodeParameter('catalog', itemIndex, '', {
				extractValue: true,
			}) as string;
			const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
			if (options.forgetEarlierLoads === 'all') forget = 'all';
			else if (options.forgetEarlierLoads === 'theseFiles' && forget !== 'all')
				forget = 'theseFiles';
			if (options.rememberAtMost !== undefined) {
				maxEntries = Math.min(maxEntries, rememberAtMostOf(context, itemIndex, options));
			}
			const userKey = fileKeyOf(context, itemIndex);
			await checkCatalogExists(run, serviceName);
			keys[itemIndex] = keyFromFileKey(host, serviceName, userKey);
		} catch (error) {
			keys[itemIndex] = error instanceof Error ? error : new Error(String(error));
		}
	});
	return { keys, forget, maxEntries };
}

async function identifyItem(
	context: IExecuteFunctions,
	run: EverGisRun,
	itemIndex: number,
	host: string,
	describe: DescribeItem,
): Promise<ItemLookup> {
	const settings = settingsOf(context, itemIndex);
	const userKey = settings.matchBy === 'key' ? fileKeyOf(context, itemIndex) : undefined;
	const { serviceName, files, checkCatalog } = await describe(itemIndex);
	// The catalog first: a misspelt name fails in a second, before any file is read.
	if (checkCatalog) await checkCatalogExists(run, serviceName);
	const identities = new Map<string, FileIdentity>();
	for (const file of files) {
		const identity =
			userKey === undefined
				? await identify(run, file, settings.matchBy, host, serviceName)
				: {
						...describedFile(file),
						key: keyFromFileKey(
							host,
							serviceName,
							userKey,
							files.length > 1 ? file.binaryProperty : undefined,
						),
					};
		identities.set(file.binaryProperty ?? '', identity);
	}
	return { settings, files: identities };
}

function settingsOf(context: IExecuteFunctions, itemIndex: number): Settings {
	const matchBy = context.getNodeParameter('matchFilesBy', itemIndex, 'content') as MatchFilesBy;
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const forget = (options.forgetEarlierLoads ?? 'nothing') as Forget;
	const maxEntries = rememberAtMostOf(context, itemIndex, options);
	if (!['content', 'nameAndSize', 'key'].includes(matchBy)) {
		throw operationError(context.getNode(), `Match Files By '${String(matchBy)}' is not known`, {
			itemIndex,
		});
	}
	return { matchBy, forget, maxEntries };
}

/** Remember at Most of an item, checked. */
function rememberAtMostOf(
	context: IExecuteFunctions,
	itemIndex: number,
	options: IDataObject,
): number {
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
	return maxEntries;
}

/** What a skipped item shows of a file. */
function describedFile(file: ItemFile): Omit<FileIdentity, 'key'> {
	return {
		name: file.name,
		...(file.binaryProperty !== undefined ? { binaryProperty: file.binaryProperty } : {}),
		...(file.size !== undefined ? { size: file.size } : {}),
	};
}

/** The file's key: host, catalog and either its SHA-256 (read as a stream) or its name and size. */
async function identify(
	run: EverGisRun,
	file: ItemFile,
	matchBy: MatchFilesBy,
	host: string,
	serviceName: string,
): Promise<FileIdentity> {
	const base = describedFile(file);
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
	const sha256 = await sha256Of(run, file);
	return { ...base, sha256, key: keyFromContent(host, serviceName, sha256) };
}

/**
 * SHA-256 of the bytes the upload would send, read the way it reads them: from n8n's binary store
 * as a stream in upload-sized chunks (constant memory), or from the item when n8n keeps binary
 * data in memory. Stops when the run stops.
 */
async function sha256Of(run: EverGisRun, file: ItemFile): Promise<string> {
	if (!file.upload) {
		throw operationError(run.context.getNode(), `The file '${file.name}' has no content to read`);
	}
	const hash = createHash('sha256');
	const content = await file.upload.open();
	try {
		for await (const chunk of content) {
			run.signal.throwIfAborted();
			hash.update(chunk);
		}
	} finally {
		content.destroy?.();
	}
	return hash.digest('hex');
}
