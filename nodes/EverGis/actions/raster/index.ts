import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../types';
import * as uploadToCatalog from './uploadToCatalog.operation';

export const operations: Record<string, Operation> = { uploadToCatalog };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['raster'] } },
		options: [
			{
				name: 'Upload to Catalog',
				value: 'uploadToCatalog',
				action: 'Upload rasters to a catalog',
				description:
					'Upload the files of each item and load them into a raster catalog (a tiling task)',
			},
		],
		default: 'uploadToCatalog',
	},
	...uploadToCatalog.description,
];
