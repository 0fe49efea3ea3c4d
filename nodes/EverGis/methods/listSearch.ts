import type {
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';

import type { CatalogGroup, CatalogSummary } from '../transport/catalogs';
import { listCatalogs } from '../transport/catalogs';
import { EverGisRun } from '../transport/run';

const PAGE = 50;

/**
 * Catalog → From List: the user's own raster catalogs, then those other users share with them
 * (layer_list.md: `group=my`, then `group=role`), searched by name and alias, 50 a page. The
 * pagination token says which list and where the server's list goes on: `my:<offset>` or
 * `role:<offset>` (a page listed without the type filter may show fewer than it scanned:
 * transport/catalogs.ts).
 */
export async function searchCatalogs(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const text = filter?.trim();
	const [group, offset] = parseToken(paginationToken);
	const run = new EverGisRun(this);
	if (group === 'role') return await sharedPage(run, text, offset);
	const own = await listCatalogs(run, { filter: text, offset, limit: PAGE, group: 'my' });
	const results = own.items.map(listed);
	if (own.more) return { results, paginationToken: `my:${offset + own.scanned}` };
	// The user's own catalogs are all listed: the shared ones follow on the same page.
	const shared = await sharedPage(run, text, 0);
	return { results: [...results, ...shared.results], paginationToken: shared.paginationToken };
}

async function sharedPage(
	run: EverGisRun,
	filter: string | undefined,
	offset: number,
): Promise<INodeListSearchResult> {
	const shared = await listCatalogs(run, { filter, offset, limit: PAGE, group: 'role' });
	return {
		results: shared.items.map((catalog) => {
			const item = listed(catalog);
			const readOnly =
				typeof catalog.permissions === 'string' && !/\bwrite\b/.test(catalog.permissions);
			const by = `Shared by ${catalog.owner ?? catalog.name.split('.')[0]}${readOnly ? ': read only, loading needs write' : ''}`;
			return { ...item, description: item.description ? `${by}. ${item.description}` : by };
		}),
		paginationToken: shared.more ? `role:${offset + shared.scanned}` : undefined,
	};
}

function listed(catalog: CatalogSummary): INodeListSearchItems {
	return {
		name: catalog.alias ? `${catalog.alias} (${catalog.name})` : catalog.name,
		value: catalog.name,
		description: catalog.description ?? undefined,
	};
}

function parseToken(token: string | undefined): [CatalogGroup, number] {
	const match = /^(my|role):(\d+)$/.exec(token ?? '');
	return match ? [match[1] as CatalogGroup, Number(match[2])] : ['my', 0];
}
