import { randomBytes } from 'crypto';
import type { IBinaryData, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { UserError } from 'n8n-workflow';

import { safeFileName, uniqueUploadName } from '../../model/uploadName';
import { splitList } from '../../shared/list';
import type { UploadSource } from '../../transport/upload';
import { UPLOAD_CHUNK_BYTES } from '../../transport/upload';

/** Where an item's files come from, and how each is read for upload. */

export type InputSource = 'binary' | 'allBinary' | 'storage';

export interface ItemFile {
	/** The file's own name: the binary's file name, or the storage name given. */
	name: string;
	binaryProperty?: string;
	size?: number;
	/** The name in EverGIS's temporary storage, which the task refers to. */
	fileId: string;
	/** Set for binary files: uploaded under `fileId` before the task is created. */
	upload?: UploadSource;
}

export function inputFileFields(
	show: Record<string, string[]>,
	{ allowStorage }: { allowStorage: boolean },
): INodeProperties[] {
	const fields: INodeProperties[] = [
		{
			displayName: 'Input Files',
			name: 'inputSource',
			type: 'options',
			displayOptions: { show },
			options: [
				{
					name: 'All Binary Properties',
					value: 'allBinary',
					description: 'Every file on the item, whatever its property name',
				},
				{
					name: 'Binary Properties',
					value: 'binary',
					description: 'The files in the named binary properties of the item',
				},
				...(allowStorage
					? [
							{
								name: 'Files Already in Temporary Storage',
								value: 'storage',
								description: 'Names of files uploaded to EverGIS earlier (e.g. by File → Upload)',
							},
						]
					: []),
			],
			default: 'binary',
		},
		{
			displayName: 'Binary Properties',
			name: 'binaryProperties',
			type: 'string',
			displayOptions: { show: { ...show, inputSource: ['binary'] } },
			default: 'data',
			placeholder: 'e.g. data, image',
			hint: 'Comma-separated names of binary properties. Read/Write Files from Disk, FTP, S3 and HTTP Request put their file in "data".',
			description: 'The binary properties of the item that hold the files to upload',
		},
		{
			displayName: 'File Names in Temporary Storage',
			name: 'fileIds',
			type: 'string',
			displayOptions: { show: { ...show, inputSource: ['storage'] } },
			default: '',
			placeholder: 'e.g. landsat_test_image.tif',
			description:
				'The fileId of each file, separated by commas or new lines (or an expression that gives an array)',
		},
	];
	return allowStorage ? fields : fields.filter((field) => field.name !== 'fileIds');
}

export interface FileSelection {
	source: InputSource;
	binaryProperties?: unknown;
	fileIds?: unknown;
	keepOriginalNames: boolean;
}

/** The files of one item, each with the name it will have in temporary storage. */
export async function filesOfItem(
	this: IExecuteFunctions,
	itemIndex: number,
	selection: FileSelection,
): Promise<ItemFile[]> {
	if (selection.source === 'storage') {
		const names = splitList(selection.fileIds);
		if (names.length === 0) {
			throw new UserError('No file names are given', {
				description:
					'Fill in File Names in Temporary Storage with the fileId of each uploaded file.',
			});
		}
		return names.map((name) => ({ name, fileId: name }));
	}
	const binary = this.getInputData()[itemIndex]?.binary ?? {};
	const available = Object.keys(binary);
	const properties =
		selection.source === 'allBinary' ? available : splitList(selection.binaryProperties);
	if (available.length === 0) {
		throw new UserError('The item has no binary data (no file to upload)', {
			description:
				'Put a file on the item first: Read/Write Files from Disk, FTP, S3 or HTTP Request (response format File). ' +
				"Or choose Input Files → 'Files Already in Temporary Storage'.",
		});
	}
	if (properties.length === 0) {
		throw new UserError('Binary Properties is empty', {
			description: `Name the binary properties to upload. This item has: ${available.join(', ')}.`,
		});
	}
	const files: ItemFile[] = [];
	for (const property of properties) {
		const data = binary[property];
		if (!data) {
			throw new UserError(`The item has no binary property '${property}'`, {
				description: `Its binary properties are: ${available.join(', ')}. Set Binary Properties to one of them.`,
			});
		}
		files.push(await describeBinary.call(this, property, data, selection.keepOriginalNames));
	}
	return files;
}

async function describeBinary(
	this: IExecuteFunctions,
	property: string,
	data: IBinaryData,
	keepOriginalName: boolean,
): Promise<ItemFile> {
	const name = data.fileName ?? `${property}${data.fileExtension ? `.${data.fileExtension}` : ''}`;
	const size = await sizeOf.call(this, data);
	if (size === 0) {
		throw new UserError(`The file '${name}' in binary property '${property}' is empty (0 bytes)`, {
			description: 'Check the node that produced it: the download or read gave no content.',
		});
	}
	const fileId = keepOriginalName
		? safeFileName(name)
		: uniqueUploadName(name, randomBytes(6).toString('hex'));
	const binaryId = data.id;
	const open = binaryId
		? async () => await this.helpers.getBinaryStream(binaryId, UPLOAD_CHUNK_BYTES)
		: async () =>
				(async function* () {
					yield Buffer.from(data.data, 'base64');
				})();
	return {
		name,
		binaryProperty: property,
		size,
		fileId,
		upload: { uploadName: fileId, size, mimeType: data.mimeType, open },
	};
}

async function sizeOf(this: IExecuteFunctions, data: IBinaryData): Promise<number> {
	if (typeof data.bytes === 'number') return data.bytes;
	if (data.id) return (await this.helpers.getBinaryMetadata(data.id)).fileSize;
	return Buffer.byteLength(data.data ?? '', 'base64');
}
