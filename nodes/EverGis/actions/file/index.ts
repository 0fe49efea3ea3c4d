import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../types';
import * as upload from './upload.operation';

export const operations: Record<string, Operation> = { upload };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['file'] } },
		options: [
			{
				name: 'Upload',
				value: 'upload',
				action: 'Upload a file to temporary storage',
				description:
					"Upload the item's files to EverGIS's temporary storage and return their fileIds",
			},
		],
		default: 'upload',
	},
	...upload.description,
];
