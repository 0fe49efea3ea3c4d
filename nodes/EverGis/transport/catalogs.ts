import type { IDataObject } from 'n8n-workflow';

import { apiErrorOf, asNodeError } from '../shared/nodeErrors';
import { failureOf } from './errors';
import { isRouteError } from './failure';
import { hostMemory } from './hostMemory';
import { everGisRequest, hostOf } from './request';
import type { EverGisRun } from './run';

/**
 * The layer type names a raster catalog may have, in the order they are tried: the docs' prose
 * "Postgres Tile Catalog Service" (resources/index.md:31; the example shows the vector layer's
 * `PostgresLayerService`, layer_list.md:52) and the spec's LayerServiceType `PostgresTileLayerService`
 * (the `layerType` of its PostgresTileCatalogServiceConfigurationDc). Kept here and nowhere else.
 */
export const RASTER_CATALOG_TYPES = ['PostgresTileCatalogService', 'PostgresTileLayerService'];

/** Whether a listed layer's type is one a raster catalog has. */
function isRasterCatalogType(type: unknown): boolean {
	return (
		typeof type === 'string' && (RASTER_CATALOG_TYPES.includes(type) || /TileCatalog/i.test(type))
	);
}

export interface CatalogSummary {
	name: string;
	type?: string | null;
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

export interface CatalogPage {
	items: CatalogSummary[];
	/** How many layers the server listed for this page (more than `items` when it listed every type). */
	scanned: number;
	/** Whether the server has more layers after this page. */
	more: boolean;
	/** How many raster catalogs there are in all, when the server counted them (filtered by type). */
	totalCount?: number;
}

/**
 * One page of the user's raster catalogs: `GET {host}/layers?types=<type>` (layer_list.md). The
 * type's name is a guess (RASTER_CATALOG_TYPES): when the host has not answered to one yet and the
 * list filtered by it is empty, or the server refuses it (400, a server that checks the name against
 * its own list), the same page is listed without the filter and the layers whose type looks like a
 * raster catalog's are kept; a type seen there is then used for this host (hostMemory.ts).
 */
export async function listCatalogs(
	run: EverGisRun,
	options: { filter?: string; offset: number; limit: number; group?: CatalogGroup },
): Promise<CatalogPage> {
	const memory = hostMemory(await hostOf(run));
	const type = memory.catalogType ?? RASTER_CATALOG_TYPES[0];
	try {
		const page = await listLayers(run, options, type);
		if (page.items.length > 0 || memory.catalogType !== undefined) {
			if (page.items.length > 0) memory.catalogType = type;
			return {
				items: page.items,
				scanned: page.items.length,
				more: options.offset + page.items.length < page.totalCount,
				totalCount: page.totalCount,
			};
		}
	} catch (error) {
		if (failureOf(error)?.status !== 400) throw asNodeError(run.context, error);
		memory.catalogType = undefined;
	}
	const page = await listLayers(run, options);
	const items = page.items.filter((item) => isRasterCatalogType(item.type));
	const seen = items.find((item) => typeof item.type === 'string')?.type;
	if (seen) memory.catalogType = seen;
	return {
		items,
		scanned: page.items.length,
		more: page.items.length > 0 && options.offset + page.items.length < page.totalCount,
	};
}

async function listLayers(
	run: EverGisRun,
	options: { filter?: string; offset: number; limit: number; group?: CatalogGroup },
	type?: string,
): Promise<{ items: CatalogSummary[]; totalCount: number }> {
	const answer = (await everGisRequest(run, {
		method: 'GET',
		path: '/layers',
		qs: {
			...(type ? { types: type } : {}),
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
 * Once per run and name, however many items load into it. Only an answer blocks the load: "no such
 * catalog" (a 404 from EverGIS), the user's rights (401, 403) or the credentials. When the check
 * could not be made (EverGIS failing or busy, a route the server does not serve, a 400), the load
 * goes on with a warning: creating the task tells whether the catalog exists.
 */
export async function checkCatalogExists(run: EverGisRun, name: string): Promise<void> {
	let check = run.catalogChecks.get(name);
	if (!check) {
		check = readCatalog(run, name).then(
			() => undefined,
			(error: unknown) => {
				if (!couldNotCheck(run, error)) throw error;
				warnUnchecked(run, name, error);
			},
		);
		run.catalogChecks.set(name, check);
	}
	await check;
}

/** Whether a failed catalog check says nothing about the catalog (see checkCatalogExists). */
function couldNotCheck(run: EverGisRun, error: unknown): boolean {
	if (run.signal.aborted) return false;
	const facts = failureOf(error);
	if (facts === undefined || facts.configuration || facts.canceled) return false;
	if (facts.status === 401 || facts.status === 403) return false;
	return !(facts.status === 404 && !isRouteError(facts));
}

function warnUnchecked(run: EverGisRun, name: string, error: unknown): void {
	const message = `Could not check that catalog '${name}' exists (${(error as Error).message}): loading anyway, EverGIS says at task creation whether it exists`;
	run.context.logger.warn(`EverGIS: ${message}`);
	if ('addExecutionHints' in run.context && typeof run.context.addExecutionHints === 'function') {
		run.context.addExecutionHints({ message, type: 'warning', location: 'outputPane' });
	}
}

/**
 * `GET {host}/layers/{name}`; EverGIS's "no such layer" (a 404 with its JSON body) is an error that
 * lists the user's raster catalogs.
 */
async function readCatalog(run: EverGisRun, name: string): Promise<IDataObject> {
	try {
		return (await everGisRequest(run, {
			method: 'GET',
			path: `/layers/${encodeURIComponent(name)}`,
			kind: 'read',
			action: `reading catalog '${name}'`,
		})) as IDataObject;
	} catch (error) {
		const facts = failureOf(error);
		if (facts?.status !== 404 || isRouteError(facts)) throw asNodeError(run.context, error);
		throw await unknownCatalog(run, name);
	}
}

const LISTED_CATALOGS = 20;

async function unknownCatalog(run: EverGisRun, name: string) {
	let known = '';
	try {
		const page = await listCatalogs(run, { offset: 0, limit: LISTED_CATALOGS });
		const names = page.items.map((item) => item.name).filter(Boolean);
		const more =
			page.totalCount !== undefined && page.totalCount > names.length
				? ` and ${page.totalCount - names.length} more`
				: page.totalCount === undefined && page.more
					? ' and maybe more'
					: '';
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
