import type { IDataObject } from 'n8n-workflow';

import { apiErrorOf, asNodeError } from '../shared/nodeErrors';
import { failureOf } from './errors';
import { everGisRequest } from './request';
import type { EverGisRun } from './run';

/**
 * Raster catalogs, for the pickers. Their layer type is `PostgresTileCatalogService` (a guess
 * from the docs' "Postgres Tile Catalog Service"; kept here and nowhere else).
 */
export const RASTER_CATALOG_TYPE = 'PostgresTileCatalogService';

export interface CatalogSummary {
	name: string;
	alias?: string | null;
	description?: string | null;
	owner?: string | null;
	/** The user's rights on it, e.g. 'read,write,configure' (layer_list.md). */
	permissions?: string | null;
}

/**
 * Which catalogs to list (layer_list.md's `group`): `my`, the user's own (EverGIS's default);
 * `role`, other users' catalogs the user can reach through a role (shared with them).
 */
export type CatalogGroup = 'my' | 'role';

export async function listCatalogs(
	run: EverGisRun,
	options: { filter?: string; offset: number; limit: number; group?: CatalogGroup },
): Promise<{ items: CatalogSummary[]; totalCount: number }> {
	const answer = (await everGisRequest(run, {
		method: 'GET',
		path: '/layers',
		qs: {
			types: RASTER_CATALOG_TYPE,
			group: options.group ?? 'my',
			offset: options.offset,
			limit: options.limit,
			...(options.filter ? { filter: `@${options.filter}` } : {}),
		},
		kind: 'read',
		action: 'listing raster catalogs',
	})) as IDataObject;
	const items = Array.isArray(answer?.items) ? (answer.items as CatalogSummary[]) : [];
	return { items, totalCount: Number(answer?.totalCount ?? items.length) };
}

export interface CatalogAttribute {
	name: string;
	type?: string;
	alias?: string | null;
}

/** The attributes of a catalog: `layerDefinition.attributes`, or the newer `attributesConfiguration`. */
export async function getCatalogAttributes(
	run: EverGisRun,
	name: string,
): Promise<CatalogAttribute[]> {
	const layer = await readCatalog(run, name);
	const definition = (layer?.layerDefinition as IDataObject | undefined)?.attributes;
	if (definition && typeof definition === 'object' && !Array.isArray(definition)) {
		return Object.entries(definition as Record<string, IDataObject>).map(([key, value]) => ({
			name: key,
			type: typeof value?.type === 'string' ? value.type : undefined,
			alias: typeof value?.alias === 'string' ? value.alias : null,
		}));
	}
	const configured = (
		(layer?.configuration as IDataObject | undefined)?.attributesConfiguration as
			IDataObject | undefined
	)?.attributes;
	if (Array.isArray(configured)) {
		return (configured as IDataObject[])
			.filter((entry) => typeof entry?.attributeName === 'string')
			.map((entry) => ({
				name: entry.attributeName as string,
				type: typeof entry.type === 'string' ? entry.type : undefined,
				alias: typeof entry.alias === 'string' ? entry.alias : null,
			}));
	}
	return [];
}

/**
 * Makes sure the catalog exists, and the user may see it, before anything is uploaded for it: a
 * misspelt name then fails in a second, naming the catalogs there are, not after a 2 GiB upload.
 * Once per run and name, however many items load into it.
 */
export async function checkCatalogExists(run: EverGisRun, name: string): Promise<void> {
	let check = run.catalogChecks.get(name);
	if (!check) {
		check = readCatalog(run, name).then(() => undefined);
		run.catalogChecks.set(name, check);
	}
	await check;
}

/** `GET {host}/layers/{name}`; an unknown name is an error that lists the user's raster catalogs. */
async function readCatalog(run: EverGisRun, name: string): Promise<IDataObject> {
	try {
		return (await everGisRequest(run, {
			method: 'GET',
			path: `/layers/${encodeURIComponent(name)}`,
			kind: 'read',
			action: `reading catalog '${name}'`,
		})) as IDataObject;
	} catch (error) {
		if (failureOf(error)?.status !== 404) throw asNodeError(run.context, error);
		throw await unknownCatalog(run, name);
	}
}

const LISTED_CATALOGS = 20;

async function unknownCatalog(run: EverGisRun, name: string) {
	let known = '';
	try {
		const { items, totalCount } = await listCatalogs(run, {
			offset: 0,
			limit: LISTED_CATALOGS,
		});
		const names = items.map((item) => item.name).filter(Boolean);
		const more = totalCount > names.length ? ` and ${totalCount - names.length} more` : '';
		known = names.length > 0 ? `Your raster catalogs: ${names.join(', ')}${more}. ` : '';
	} catch {
		// The list only helps the message: without it the message still says what is wrong.
	}
	return apiErrorOf(run.context.getNode(), `EverGIS has no catalog '${name}'`, {
		httpCode: '404',
		description:
			`${known}Pick the catalog under Catalog → From List, check its system name (owner.name), ` +
			'or turn on Create New Catalog to make it.',
	});
}
