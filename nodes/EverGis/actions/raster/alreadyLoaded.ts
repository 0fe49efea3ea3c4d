import { createHash } from 'crypto';
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { asNodeError, operationError } from '../../shared/nodeErrors';
import { mapWithConcurrency } from '../../shared/pool';
import { checkCatalogExists } from '../../transport/catalogs';
import { hostOf } from '../../transport/request';
import type { EverGisRun } from '../../transport/run';
import type { WaitOutcome } from '../../transport/waitForTask';
import type { ItemFile } from '../common/inputFiles';
import type { FileState, Forget } from './loadMemory';
import { LoadMemory } from './loadMemory';

/**
 * Skip Files Already Loaded: the option's fields, the files' keys, and the per-run look-up of the
 * items' files in the memory of loaded files (loadMemory.ts holds the memory and its rule). A file is
 * keyed by the EverGIS host, the catalog and either its SHA-256 (read as a stream), its name and
 * size, or a key the user's expression gives (e.g. an S3 object's key and ETag): the same key
 * Raster → Keep New Files reads from a listing before any download.
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
				'Whether to leave out files that this workflow has already loaded into the catalog in an earlier execution, manual ones included (their task Completed). For scheduled loads: a file that failed is loaded again next time.',
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
 * The run's look-up of every item's files, made once before the items' own work: first the
 * catalogs (a misspelt one fails before any file is read), then each item's files (hashed,
 * Concurrency at a time), then one call to the memory for all of them, which claims the new ones.
 */
export class AlreadyLoaded {
	/** Keys an item of this run has taken to load: a copy of the same file in another item is skipped. */
	private readonly takenInRun = new Set<string>();

	private constructor(
		readonly memory: LoadMemory,
		private readonly items: Array<ItemLookup | Error | undefined>,
		private readonly states: Map<string, FileState>,
	) {}

	static async lookUp(
		context: IExecuteFunctions,
		run: EverGisRun,
		concurrency: number,
		describe: DescribeItem,
	): Promise<AlreadyLoaded | undefined> {
		const inputs = context.getInputData();
		const skips = (itemIndex: number) =>
			context.getNodeParameter('skipAlreadyLoaded', itemIndex, false) === true;
		if (!inputs.some((_input, itemIndex) => skips(itemIndex))) return undefined;
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
		const identified = items.filter(
			(item): item is ItemLookup => item !== undefined && !(item instanceof Error),
		);
		const memory = new LoadMemory(run, context);
		if (identified.length === 0) return new AlreadyLoaded(memory, items, new Map());
		const keysOf = (item: ItemLookup) =>
			[...item.files.values()].map((file) => ({ key: file.key }));
		const forgetAll = identified.some((item) => item.settings.forget === 'all');
		const forgetThese = identified.some((item) => item.settings.forget === 'theseFiles');
		const states = await memory.lookUp(identified.flatMap(keysOf), {
			claim: true,
			forget: forgetAll ? 'all' : forgetThese ? 'theseFiles' : 'nothing',
			maxEntries: Math.min(...identified.map((item) => item.settings.maxEntries)),
			readNodeMemory: true,
		});
		if (forgetAll || forgetThese) {
			context.addExecutionHints({
				message:
					`Forget Earlier Loads is '${forgetAll ? 'All' : 'These Input Files'}': this execution loads those files again. ` +
					'Set it back to Nothing, or every run does.',
				type: 'warning',
				location: 'outputPane',
			});
		}
		return new AlreadyLoaded(memory, items, states);
	}

	/** The item's files as the memory knows them, or undefined when the item does not use the option. */
	forItem(context: IExecuteFunctions, itemIndex: number): ItemMemory | undefined {
		const item = this.items[itemIndex];
		if (item instanceof Error) throw asNodeError(context, item, itemIndex);
		if (!item) return undefined;
		return new ItemMemory(context, itemIndex, item, this);
	}

	/** The memory's verdict on a file for this run; the first item of the run to ask takes a new file. */
	verdict(key: string): FileState {
		const state = this.states.get(key) ?? { state: 'new' };
		if (state.state !== 'new') return state;
		if (this.takenInRun.has(key)) {
			return { state: 'beingLoaded', why: 'another item of this execution loads the same file' };
		}
		this.takenInRun.add(key);
		return state;
	}

	/**
	 * At the end of the run: lets go of the claims no item took (their items failed before, or the
	 * run stopped), and says which tasks no later run will ask, where n8n keeps no state of the run.
	 */
	async finish(): Promise<void> {
		this.memory.reportUnsettled();
		await this.letGoUntaken();
	}

	private async letGoUntaken(): Promise<void> {
		const untaken = [...this.states]
			.filter(([key, state]) => state.state === 'new' && !this.takenInRun.has(key))
			.map(([key]) => ({ key }));
		await this.memory.letGo(untaken);
	}
}

/** One item's files in the memory. */
export class ItemMemory {
	constructor(
		private readonly context: IExecuteFunctions,
		private readonly itemIndex: number,
		private readonly lookup: ItemLookup,
		private readonly run: AlreadyLoaded,
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

	/** What the memory says of the file for this item (new ones are this item's to load). */
	stateOf(file: ItemFile): FileState {
		return this.run.verdict(this.identity(file).key);
	}

	async taskCreated(files: ItemFile[], taskId: string): Promise<void> {
		await this.run.memory.taskCreated(this.keys(files), taskId, this.lookup.settings.maxEntries);
	}

	async taskEnded(files: ItemFile[], outcome: WaitOutcome): Promise<void> {
		await this.run.memory.taskEnded(this.keys(files), outcome);
	}

	/** These files will not be loaded by this run (their item failed): their claims go. */
	async letGo(files: ItemFile[]): Promise<void> {
		await this.run.memory.letGo(this.keys(files));
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

	private keys(files: ItemFile[]) {
		return files.map((file) => ({ key: this.identity(file).key }));
	}
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
	if (!['content', 'nameAndSize', 'key'].includes(matchBy)) {
		throw operationError(context.getNode(), `Match Files By '${String(matchBy)}' is not known`, {
			itemIndex,
		});
	}
	return { matchBy, forget, maxEntries };
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
