import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { asNodeError } from '../../shared/nodeErrors';
import { mapWithConcurrency } from '../../shared/pool';
import { checkCatalogExists } from '../../transport/catalogs';
import { hostOf } from '../../transport/request';
import type { EverGisRun } from '../../transport/run';
import { catalogLocator } from '../common/catalog';
import type { ItemResult } from '../types';
import { fileKeyField, fileKeyOf, forgetEarlierLoadsOption, keyFromFileKey } from './alreadyLoaded';
import type { FileState, Forget } from './loadMemory';
import { LoadMemory } from './loadMemory';

/**
 * Raster → Keep New Files: filters a listing (S3 Get Many, FTP List, an index of URLs) before any
 * download. Each item names a file by its File Key; the items whose file the workflow's memory of
 * loaded files (loadMemory.ts) does not hold, and no run is loading, go to the first output (New),
 * the others to the second (Loaded or Loading). It records nothing: only Upload to Catalog, with
 * Match Files By → Key and the same File Key, remembers a file, once its task exists. A file whose
 * earlier task ended other than Completed is new again; one whose earlier task no run saw end is
 * settled here by asking EverGIS.
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

/** What the memory says of each item's file, or why the item could not be looked up. */
type Verdicts = Array<FileState | Error>;

/** One look-up for every item's file: the catalogs first, then one call to the memory. */
export async function prepare(
	this: IExecuteFunctions,
	run: EverGisRun,
	concurrency: number,
): Promise<Verdicts> {
	const inputs = this.getInputData();
	const host = await hostOf(run);
	const keys: Array<string | Error> = new Array(inputs.length);
	let forget: Forget = 'nothing';
	await mapWithConcurrency(inputs, concurrency, async (_input, itemIndex) => {
		try {
			const serviceName = this.getNodeParameter('catalog', itemIndex, '', {
				extractValue: true,
			}) as string;
			const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
			if (options.forgetEarlierLoads === 'all') forget = 'all';
			else if (options.forgetEarlierLoads === 'theseFiles' && forget !== 'all')
				forget = 'theseFiles';
			const userKey = fileKeyOf(this, itemIndex);
			await checkCatalogExists(run, serviceName);
			keys[itemIndex] = keyFromFileKey(host, serviceName, userKey);
		} catch (error) {
			keys[itemIndex] = error instanceof Error ? error : new Error(String(error));
		}
	});
	const looked = keys.filter((key): key is string => typeof key === 'string');
	const states =
		looked.length === 0
			? new Map<string, FileState>()
			: await new LoadMemory(run, this).lookUp(
					looked.map((key) => ({ key })),
					{ claim: false, forget, maxEntries: Number.POSITIVE_INFINITY, readNodeMemory: false },
				);
	if (forget !== 'nothing') {
		this.addExecutionHints({
			message: `Forget Earlier Loads is '${forget === 'all' ? 'All' : 'These Input Files'}': these files count as new. Set it back to Nothing, or every run does.`,
			type: 'warning',
			location: 'outputPane',
		});
	}
	return keys.map((key) => (typeof key === 'string' ? (states.get(key) ?? { state: 'new' }) : key));
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	_run: EverGisRun,
	verdicts: Verdicts,
): Promise<ItemResult> {
	const verdict = verdicts[itemIndex];
	if (verdict instanceof Error) throw asNodeError(this, verdict, itemIndex);
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
						reason: verdict.state === 'loaded' ? 'alreadyLoaded' : 'beingLoaded',
						...(verdict.taskId ? { taskId: verdict.taskId } : {}),
						message:
							verdict.state === 'loaded'
								? 'Already loaded into the catalog'
								: `Not to be loaded now: ${verdict.why}`,
					},
				},
			},
		],
	};
}
