import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { getCatalogAttributes as readAttributes } from '../transport/catalogs';
import { EverGisRun } from '../transport/run';

/** Attribute Values → Name: the attributes of the catalog chosen in the node. */
export async function getCatalogAttributes(
	this: ILoadOptionsFunctions,
): Promise<INodePropertyOptions[]> {
	const catalog = String(
		this.getCurrentNodeParameter('catalog', { extractValue: true }) ?? '',
	).trim();
	if (catalog === '') return [];
	const attributes = await readAttributes(new EverGisRun(this), catalog);
	return attributes
		.map((attribute) => ({
			name: attribute.alias ? `${attribute.alias} (${attribute.name})` : attribute.name,
			value: attribute.name,
			description: attribute.type ? `Type: ${attribute.type}` : undefined,
		}))
		.sort((a, b) => a.name.localeCompare(b.name));
}
