import type {
	IBinaryData,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

// Nodes for the benchmark only (not shipped, not in package.json's n8n section).

export const BUFFERED_UPLOAD_NODE = 'bench.bufferedUpload';
export const BINARY_REFERENCE_NODE = 'bench.binaryReference';

/**
 * Bench only, not shipped: what a naive node does to upload a file. It reads the whole binary
 * into a Buffer (`getBinaryDataBuffer`) and sends a multipart body made from that Buffer through
 * `httpRequestWithAuthentication`, with n8n's defaults (redirects followed). The benchmark sets
 * its memory beside the streamed upload of the EverGIS node.
 */
export class BufferedUpload implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Buffered Upload (bench)',
		name: BUFFERED_UPLOAD_NODE,
		group: ['output'],
		version: 1,
		description: 'POST {host}/upload/file with the whole file in memory',
		defaults: { name: 'Buffered Upload' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'everGisApi', required: true }],
		properties: [
			{ displayName: 'Binary Property', name: 'binaryProperty', type: 'string', default: 'data' },
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const credentials = await this.getCredentials('everGisApi');
		const host = String(credentials.host).trim().replace(/\/+$/, '');
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < this.getInputData().length; i++) {
			const property = this.getNodeParameter('binaryProperty', i) as string;
			const binary = this.helpers.assertBinaryData(i, property);
			const buffer = await this.helpers.getBinaryDataBuffer(i, property);
			const form = new FormData();
			form.append('rewrite', 'true');
			form.append('file', new Blob([buffer], { type: binary.mimeType }), binary.fileName);
			const answer = (await this.helpers.httpRequestWithAuthentication.call(this, 'everGisApi', {
				method: 'POST',
				url: `${host}/upload/file`,
				body: form,
			})) as unknown;
			const json = typeof answer === 'string' ? (JSON.parse(answer) as object) : answer;
			out.push({ json: json as INodeExecutionData['json'], pairedItem: { item: i } });
		}
		return [out];
	}
}

/**
 * Emits one item whose binary `data` is a file already in n8n's binary data service (the JSON of
 * its IBinaryData, id included), so that several runs can upload the same stored file without
 * reading it into storage again.
 */
export class BinaryReference implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Binary Reference (bench)',
		name: BINARY_REFERENCE_NODE,
		group: ['input'],
		version: 1,
		description: 'One item with a stored binary',
		defaults: { name: 'Binary Reference' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [{ displayName: 'Binary', name: 'binary', type: 'json', default: '{}' }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const raw = this.getNodeParameter('binary', 0) as string | IBinaryData;
		const data = (typeof raw === 'string' ? JSON.parse(raw) : raw) as IBinaryData;
		return [[{ json: {}, binary: { data }, pairedItem: { item: 0 } }]];
	}
}
