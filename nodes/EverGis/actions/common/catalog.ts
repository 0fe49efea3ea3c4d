import type { INodeProperties } from 'n8n-workflow';

/**
 * The target raster catalog: picked from the user's catalogs and those shared with them (see
 * methods/listSearch.ts), or given by its system name.
 */
export const catalogLocator: INodeProperties = {
	displayName: 'Catalog',
	name: 'catalog',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	description: 'The raster catalog to load the files into',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a raster catalog...',
			typeOptions: { searchListMethod: 'searchCatalogs', searchable: true },
		},
		{
			displayName: 'By Name',
			name: 'name',
			type: 'string',
			placeholder: 'e.g. demo.landsat_images',
			// No `validation` regex: n8n runs one in a sandbox with a 250 ms limit before every
			// execution, and on a loaded worker that limit was seen to run out and fail the run. The
			// name is checked when the task body is built (model/tilingBody.ts), saying how to write it.
			hint: "The catalog's system name: owner, a dot, and the name",
		},
	],
};
