import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../types';
import * as keepNewFiles from './keepNewFiles.operation';
import * as markAsLoaded from './markAsLoaded.operation';
import * as uploadToCatalog from './uploadToCatalog.operation';

export const operations: Record<string, Operation> = {
	uploadToCatalog,
	keepNewFiles,
	markAsLoaded,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['raster'] } },
		options: [
			{
				name: 'Keep New Files',
				value: 'keepNewFiles',
				action: 'Keep only files not loaded yet',
				description:
					'Filter a listing (S3, FTP, URLs) before any download: files not loaded into the catalog yet go to the first output',
			},
			{
				name: 'Mark as Loaded',
				value: 'markAsLoaded',
				action: 'Mark files as loaded without loading them',
				description:
					'Record the files of a listing as loaded into the catalog (which already holds them): Keep New Files and Upload to Catalog leave them out from then on',
			},
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
	...keepNewFiles.description,
	...markAsLoaded.description,
];
