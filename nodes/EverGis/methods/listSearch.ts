import type { ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';

import { listCatalogs } from '../transport/catalogs';
import { EverGisRun } from '../transport/run';

const PAGE = 50;

/** Catalog → From List: the user's raster catalogs, searched by name and alias, 50 a page. */
export async function searchCatalogs(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const offset = paginationToken ? Number(paginationToken) : 0;
	const { items, totalCount } = await listCatalogs(new EverGisRun(this), {
		filter: filter?.trim(),
		offset,
		limit: PAGE,
	});
	return {
		results: items.map((catalog) => ({
			name: catalog.alias ? `${catalog.alias} (${catalog.name})` : catalog.name,
			value: catalog.name,
			description: catalog.description ?? undefined,
		})),
		paginationToken:
			offset + items.length < totalCount && items.length > 0
				? String(offset + items.length)
				: undefined,
	};
}
