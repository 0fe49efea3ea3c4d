import type { IDataObject } from 'n8n-workflow';

import type { EverGisFunctions } from './request';
import { everGisRequest } from './request';

/**
 * Raster catalogs, for the pickers. Their layer type is `PostgresTileCatalogService` (a guess
 * from the docs' "Postgres Tile Catalog Service"; kept here and nowhere else).
 */
export const RASTER_CATALOG_TYPE = 'PostgresTileCatalogService';

export interface CatalogSummary {
	name: string;
	alias?: string | null;
	description?: string | null;
}

export async function listCatalogs(
	this: EverGisFunctions,
	options: { filter?: string; offset: number; limit: number },
): Promise<{ items: CatalogSummary[]; totalCount: number }> {
	const answer = (await everGisRequest.call(this, {
		method: 'GET',
		path: '/layers',
		qs: {
			types: RASTER_CATALOG_TYPE,
			group: 'my',
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
	this: EverGisFunctions,
	name: string,
): Promise<CatalogAttribute[]> {
	const layer = (await everGisRequest.call(this, {
		method: 'GET',
		path: `/layers/${encodeURIComponent(name)}`,
		kind: 'read',
		action: `reading catalog '${name}'`,
		notFound: {
			message: `EverGIS has no catalog '${name}'`,
			description: 'Pick the catalog from the list, or check its system name (owner.name).',
		},
	})) as IDataObject;
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
