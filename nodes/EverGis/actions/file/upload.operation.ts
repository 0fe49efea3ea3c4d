import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { EverGisRun } from '../../transport/run';
import { uploadToTemporaryStorage } from '../../transport/upload';
import { keepOriginalNamesOption } from '../common/descriptions';
import type { InputSource } from '../common/inputFiles';
import { filesOfItem, inputFileFields } from '../common/inputFiles';
import type { ItemResult } from '../types';

const show = { resource: ['file'], operation: ['upload'] };

export const description: INodeProperties[] = [
	...inputFileFields(show, { allowStorage: false }),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		displayOptions: { show },
		default: {},
		options: [keepOriginalNamesOption],
	},
];

/** File → Upload: puts the item's files into EverGIS's temporary storage and returns their fileIds. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: EverGisRun,
): Promise<ItemResult> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const files = await filesOfItem.call(this, itemIndex, {
		source: this.getNodeParameter('inputSource', itemIndex, 'binary') as InputSource,
		binaryProperties: this.getNodeParameter('binaryProperties', itemIndex, 'data'),
		keepOriginalNames: options.keepOriginalNames === true,
	});
	const items = [];
	for (const file of files) {
		if (!file.upload) continue;
		const uploaded = await uploadToTemporaryStorage(run, file.upload, itemIndex);
		items.push({
			json: {
				fileId: uploaded.fileId,
				url: uploaded.url,
				name: file.name,
				binaryProperty: file.binaryProperty,
				size: file.size,
			},
		});
	}
	return { items };
}
