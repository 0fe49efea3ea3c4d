import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { asNodeError } from '../../shared/nodeErrors';
import type { EverGisRun } from '../../transport/run';
import { catalogLocator } from '../common/catalog';
import type { ItemResult } from '../types';
import {
	fileKeyField,
	forgetEarlierLoadsOption,
	lookUpListing,
	type Listing,
} from './alreadyLoaded';
import type { FileState } from './loadMemory';
import { LoadMemory } from './loadMemory';

/**
 * Raster → Keep New Files: filters a listing (S3 Get Many, FTP List, an index of URLs) before any
 * download. Each item names a file by its File Key; the items whose file the workflow's memory of
 * loaded files (loadMemory.ts) does not hold, and no run is loading, go to the first output (New),
 * the others to the second (Loaded or Loading), with why. It records nothing: only Upload to
 * Catalog (Match Files By → Key, the same File Key) remembers a file, once its task exists, and Mark
 * as Loaded. A file whose earlier task ended other than Completed is new again; one whose earlier
 * task no run saw end is settled here by asking EverGIS. An item's error goes to the second output
 * (or n8n's error output), never to the download.
 */

const show = { resource: ['raster'], operation: ['keepNewFiles'] };

export const outputs = 2;

/** Forget Earlier Loads, shown here whatever Skip Files Already Loaded says (it is Upload to Catalog's). */
const forgetOption: INodeProperties = { ...forgetEarlierLoadsOption };
delete forgetOption.displayOptions;

export const description: INodeProperties[] = [
	{
		...catalogLocator,
		displayOptions: { show },
		description: 'The raster catalog the files are to be loaded into',
	},
	{
		...fileKeyField,
		displayOptions: { show },
		hint: 'The same expression as File Key in the Upload to Catalog node that loads these files (Match Files By → Key)',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		displayOptions: { show },
		default: {},
		options: [forgetOption],
	},
];

/** Error items go to Loaded or Loading under Continue (using Regular Output): never to the download. */
export const errorOutput = 1;

export function start(this: IExecuteFunctions, run: EverGisRun): Listing {
	return { memory: new LoadMemory(run, this, 'look'), keys: [] };
}

/** One look-up for every item's file: the catalogs first, then one call to the memory. */
export async function prepare(
	this: IExecuteFunctions,
	listing: Listing,
	run: EverGisRun,
	concurrency: number,
): Promise<void> {
	const { forget } = await lookUpListing(this, listing, run, concurrency, (asked) => ({
		forget: asked.forget,
		maxEntries: Number.POSITIVE_INFINITY,
		readNodeMemory: false,
	}));
	if (forget !== 'nothing') {
		this.addExecutionHints({
			message: `Forget Earlier Loads is '${forget === 'all' ? 'All' : 'These Input Files'}': these files count as new. Set it back to Nothing, or every run does.`,
			type: 'warning',
			location: 'outputPane',
		});
	}
}

/** Takes back what the look-up recorded, whatever happened. */
export async function finish(this: IExecuteFunctions, listing: Listing): Promise<void> {
	await listing.memory.finish();
}

/** What the second output says, by the file's state. */
const NOT_NEW: Record<Exclude<FileState['state'], 'new'>, (state: FileState) => string> = {
	loaded: () => 'Already loaded into the catalog',
	beingLoaded: (state) => `Not to be loaded now: ${state.why}`,
	uncertain: (state) =>
		`Counted as loaded, but no run knows that it was: ${state.why}. Check the catalog: if the file is missing, ` +
		"load it once with Upload to Catalog's Options → Forget Earlier Loads → 'These Input Files'.",
};

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	_run: EverGisRun,
	listing: Listing,
): Promise<ItemResult> {
	const key = listing.keys[itemIndex];
	if (key instanceof Error) throw asNodeError(this, key, itemIndex);
	const verdict = listing.memory.stateOf(key);
	const item = this.getInputData()[itemIndex];
	const passed = { json: item.json, ...(item.binary ? { binary: item.binary } : {}) };
	if (verdict.state === 'new') return { items: [passed] };
	return {
		second: [
			{
				...passed,
				json: {
					...item.json,
					evergis: {
						reason: verdict.state === 'loaded' ? 'alreadyLoaded' : verdict.state,
						...(verdict.taskId ? { taskId: verdict.taskId } : {}),
						message: NOT_NEW[verdict.state](verdict),
					},
				},
			},
		],
	};
}
