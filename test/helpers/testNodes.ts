import { createReadStream, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';

import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

/**
 * Small stand-ins for n8n's Manual Trigger and Read/Write Files from Disk nodes (n8n-nodes-base
 * is not installed for the in-process tests). They use the same helpers as the real ones, so a
 * file read here lands in n8n's binary data service exactly as it would in n8n.
 */

function description(name: string, inputs: boolean): INodeTypeDescription {
	return {
		displayName: name,
		name,
		group: ['input'],
		version: 1,
		description: name,
		defaults: { name },
		inputs: inputs ? [NodeConnectionTypes.Main] : [],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	};
}

export class ManualTrigger implements INodeType {
	description = description('test.manualTrigger', false);

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [[{ json: {} }]];
	}
}

export interface FileItemSpec {
	json?: IDataObject;
	/** binary property → file path on disk (or inline content) */
	files?: Record<
		string,
		| string
		| {
				path?: string;
				content?: string | Buffer;
				fileName?: string;
				mimeType?: string;
				/** Keep the bytes on the item (base64, no binary id), as n8n's default binary mode does. */
				inMemory?: boolean;
		  }
	>;
}

const MIME: Record<string, string> = {
	'.tif': 'image/tiff',
	'.tiff': 'image/tiff',
	'.png': 'image/png',
	'.txt': 'text/plain',
	'.json': 'application/json',
};

/** Emits the items of its `items` parameter (JSON), reading each named file into binary data. */
export class FileItems implements INodeType {
	description: INodeTypeDescription = {
		...description('test.fileItems', true),
		properties: [{ displayName: 'Items', name: 'items', type: 'json', default: '[]' }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const raw = this.getNodeParameter('items', 0) as string | FileItemSpec[];
		const specs = (typeof raw === 'string' ? JSON.parse(raw) : raw) as FileItemSpec[];
		const out: INodeExecutionData[] = [];
		for (const [index, spec] of specs.entries()) {
			const item: INodeExecutionData = { json: spec.json ?? {}, pairedItem: { item: 0 } };
			for (const [property, source] of Object.entries(spec.files ?? {})) {
				const file = typeof source === 'string' ? { path: source } : source;
				const name =
					file.fileName ?? (file.path ? basename(file.path) : `${property}-${index}.bin`);
				const mime =
					file.mimeType ?? MIME[extname(name).toLowerCase()] ?? 'application/octet-stream';
				let binary;
				if (file.inMemory) {
					const bytes =
						file.path !== undefined ? readFileSync(file.path) : Buffer.from(file.content ?? '');
					binary = { data: bytes.toString('base64'), mimeType: mime, bytes: bytes.length };
				} else if (file.path !== undefined) {
					statSync(file.path);
					binary = await this.helpers.prepareBinaryData(createReadStream(file.path), name, mime);
				} else {
					const content = Buffer.isBuffer(file.content)
						? file.content
						: Buffer.from(file.content ?? '');
					binary = await this.helpers.prepareBinaryData(content, name, mime);
				}
				binary.fileName = name;
				item.binary = { ...(item.binary ?? {}), [property]: binary };
			}
			out.push(item);
		}
		return [out];
	}
}

/**
 * Passes each input item on, paired with it: with `path` set, the file there is added as binary
 * property `data` (a download: S3 Download and FTP Download keep the listing's JSON); with
 * `keepJson` off, the JSON is left out (a node put between the download and the upload that keeps
 * only the file).
 */
export class PassFiles implements INodeType {
	description: INodeTypeDescription = {
		...description('test.passFiles', true),
		properties: [
			{ displayName: 'Path', name: 'path', type: 'string', default: '' },
			{ displayName: 'Keep JSON', name: 'keepJson', type: 'boolean', default: true },
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const out: INodeExecutionData[] = [];
		for (const [index, item] of this.getInputData().entries()) {
			const path = this.getNodeParameter('path', index) as string;
			const binary = path
				? {
						data: await this.helpers.prepareBinaryData(
							createReadStream(path),
							basename(path),
							MIME[extname(path).toLowerCase()],
						),
					}
				: item.binary;
			out.push({
				json: this.getNodeParameter('keepJson', index) ? item.json : {},
				...(binary ? { binary } : {}),
				pairedItem: { item: index },
			});
		}
		return [out];
	}
}
