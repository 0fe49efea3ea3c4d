import type { INodeProperties } from 'n8n-workflow';

/** The target raster catalog: picked from the user's catalogs, or given by its system name. */
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
			hint: "The catalog's system name: owner, a dot, and the name",
			validation: [
				{
					type: 'regex',
					properties: {
						regex: '^[^\\s.]+\\.\\S+$',
						errorMessage: "Write the system name as '<owner>.<name>', e.g. demo.landsat_images",
					},
				},
			],
		},
	],
};
