import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { asNodeError } from '../../shared/nodeErrors';
import type { EverGisRun } from '../../transport/run';
import { catalogLocator } from '../common/catalog';
import type { ItemResult } from '../types';
import { fileKeyField, lookUpListing, rememberAtMostOption, type Listing } from './alreadyLoaded';
import { LoadMemory } from './loadMemory';

/**
 * Raster → Mark as Loaded: records the files of a listing as loaded without loading them, for a
 * catalog that already holds them (the first night of a team whose bucket is already in the
 * catalog). Each item names its file by the File Key that Keep New Files and Upload to Catalog
 * (Match Files By → Key) use; from then on both leave it out. A file another execution is loading
 * now is not marked. A file whose memory is not final (its earlier task's end not seen, uncertain)
 * is marked: the user says it is in the catalog.
 */

const show = { resource: ['raster'], operation: ['markAsLoaded'] };

/** Remember at Most, shown here whatever Skip Files Already Loaded says (it is Upload to Catalog's). */
const rememberOption: INodeProperties = { ...rememberAtMostOption };
delete rememberOption.displayOptions;

export const description: INodeProperties[] = [
	{
		...catalogLocator,
		displayOptions: { show },
		description: 'The raster catalog that already holds the files',
	},
	{
		...fileKeyField,
		displayOptions: { show },
		hint: 'The same expression as File Key in Keep New Files and in Upload to Catalog (Match Files By → Key)',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		displayOptions: { show },
		default: {},
		options: [rememberOption],
	},
];

export function start(this: IExecuteFunctions, run: EverGisRun): Listing {
	return { memory: new LoadMemory(run, this, 'mark'), keys: [] };
}

/** One look-up for every item's file (the catalogs first), which marks the files. */
export async function prepare(
	this: IExecuteFunctions,
	listing: Listing,
	run: EverGisRun,
	concurrency: number,
): Promise<void> {
	await lookUpListing(this, listing, run, concurrency, (asked) => ({
		forget: 'nothing',
		maxEntries: Number.isFinite(asked.maxEntries)
			? asked.maxEntries
			: Number(rememberOption.default),
		readNodeMemory: false,
	}));
}

export async function finish(this: IExecuteFunctions, listing: Listing): Promise<void> {
	await listing.memory.finish();
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	_run: EverGisRun,
	listing: Listing,
): Promise<ItemResult> {
	const key = listing.keys[itemIndex];
	if (key instanceof Error) throw asNodeError(this, key, itemIndex);
	const state = listing.memory.stateOf(key).state;
	const serviceName = this.getNodeParameter('catalog', itemIndex, '', {
		extractValue: true,
	}) as string;
	const item = this.getInputData()[itemIndex];
	const evergis =
		state === 'beingLoaded'
			? {
					marked: false,
					reason: 'beingLoaded',
					message: `Not marked: another execution is loading it into ${serviceName} now`,
				}
			: state === 'loaded'
				? {
						marked: false,
						reason: 'alreadyLoaded',
						message: `Already loaded into ${serviceName} (or marked before): nothing changed`,
					}
				: {
						marked: true,
						reason: 'marked',
						message: `Marked as loaded into ${serviceName}: Keep New Files and Upload to Catalog (Match Files By → Key, the same File Key) leave it out from now on`,
					};
	return {
		items: [
			{
				json: { ...item.json, evergis: { ...evergis, serviceName } },
				...(item.binary ? { binary: item.binary } : {}),
			},
		],
	};
}
