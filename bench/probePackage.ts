import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { packDirectory } from '../test/real-n8n/pack';

/**
 * A throwaway community package for the real-n8n upload bench (never shipped): node "Bench Probe"
 * (`n8n-nodes-evergis-bench-probe.benchProbe`). It may use anything Node offers, unlike the shipped
 * node, because it measures what n8n's own process costs, not what a community node may do:
 *
 * - `flush`: runs `sync` and passes its items on (put between Read/Write Files from Disk and the
 *   upload, so that the kernel does not write the stored copy back during the timed upload; the
 *   bench runs `sync` before curl too).
 * - `raw`: uploads the item's `data` binary with `node:http` alone, the multipart envelope written
 *   by hand around n8n's binary stream (`getBinaryStream`): no axios, no request helper. `detach`
 *   releases each chunk's memory (ArrayBuffer.prototype.transfer(0)) once the socket has written it.
 */
export const PROBE_PACKAGE = 'n8n-nodes-evergis-bench-probe';
export const PROBE_NODE_TYPE = `${PROBE_PACKAGE}.benchProbe`;

const NODE_JS = `'use strict';
const { execFileSync } = require('node:child_process');
const http = require('node:http');
const { NodeOperationError } = require('n8n-workflow');

function multipart(name, size) {
	const boundary = 'bench-probe-' + Math.random().toString(36).slice(2);
	const head = Buffer.from(
		'--' + boundary + '\\r\\nContent-Disposition: form-data; name="rewrite"\\r\\n\\r\\ntrue\\r\\n' +
			'--' + boundary + '\\r\\nContent-Disposition: form-data; name="file"; filename="' + name + '"\\r\\n' +
			'Content-Type: image/tiff\\r\\n\\r\\n',
	);
	const tail = Buffer.from('\\r\\n--' + boundary + '--\\r\\n');
	return { boundary, head, tail, length: head.length + size + tail.length };
}

async function rawUpload(url, token, source, name, size, detach) {
	const form = multipart(name, size);
	const req = http.request(url, {
		method: 'POST',
		headers: {
			'content-type': 'multipart/form-data; boundary=' + form.boundary,
			'content-length': String(form.length),
			authorization: 'Bearer ' + token,
		},
	});
	const answer = new Promise((resolve, reject) => {
		req.once('error', reject);
		req.once('response', (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (chunk) => (body += chunk));
			res.once('end', () => resolve({ status: res.statusCode, body }));
			res.once('error', reject);
		});
	});
	answer.catch(() => undefined);
	const write = (chunk, release) =>
		new Promise((resolve) => {
			const more = req.write(chunk, () => {
				if (
					release &&
					typeof chunk.buffer.transfer === 'function' &&
					chunk.byteOffset === 0 &&
					chunk.byteLength === chunk.buffer.byteLength
				) {
					chunk.buffer.transfer(0);
				}
			});
			if (more) resolve();
			else req.once('drain', resolve);
		});
	try {
		await write(form.head, false);
		for await (const chunk of source) await write(chunk, detach);
		await write(form.tail, false);
		req.end();
	} finally {
		source.destroy();
	}
	return await answer;
}

class BenchProbe {
	constructor() {
		this.description = {
			displayName: 'Bench Probe',
			name: 'benchProbe',
			group: ['transform'],
			version: 1,
			description: 'Bench-only: flush disks, or upload a binary without the EverGIS node',
			defaults: { name: 'Bench Probe' },
			inputs: ['main'],
			outputs: ['main'],
			properties: [
				{ displayName: 'Mode', name: 'mode', type: 'string', default: 'flush' },
				{ displayName: 'URL', name: 'url', type: 'string', default: '' },
				{ displayName: 'Token', name: 'token', type: 'string', default: '' },
				{ displayName: 'Chunk KiB', name: 'chunkKiB', type: 'number', default: 256 },
				{ displayName: 'Detach', name: 'detach', type: 'boolean', default: false },
			],
		};
	}

	async execute() {
		const items = this.getInputData();
		const mode = this.getNodeParameter('mode', 0);
		if (mode === 'flush') {
			execFileSync('sync');
			return [items];
		}
		const out = [];
		for (let i = 0; i < items.length; i++) {
			const binary = items[i].binary && items[i].binary.data;
			if (!binary || !binary.id) throw new NodeOperationError(this.getNode(), 'no stored binary "data"');
			const url = this.getNodeParameter('url', i);
			const token = this.getNodeParameter('token', i);
			const chunk = this.getNodeParameter('chunkKiB', i) * 1024;
			const size = (await this.helpers.getBinaryMetadata(binary.id)).fileSize;
			const name = binary.fileName || 'probe.tif';
			const started = performance.now();
			let answer;
			if (mode === 'raw') {
				const source = await this.helpers.getBinaryStream(binary.id, chunk);
				answer = await rawUpload(url, token, source, name, size, this.getNodeParameter('detach', i));
				if (answer.status !== 200) {
					throw new NodeOperationError(this.getNode(), 'upload answered ' + answer.status + ': ' + answer.body);
				}
			} else {
				throw new NodeOperationError(this.getNode(), 'unknown mode ' + mode);
			}
			out.push({
				json: { mode, status: answer.status, body: answer.body, ms: performance.now() - started },
				pairedItem: { item: i },
			});
		}
		return [out];
	}
}

module.exports = { BenchProbe };
`;

/** Writes the probe package to a new folder under `parentDir`, packs it, returns the tarball. */
export async function packProbePackage(parentDir: string): Promise<string> {
	const dir = mkdtempSync(join(parentDir, 'bench-probe-'));
	const pkg = join(dir, 'package');
	mkdirSync(join(pkg, 'dist', 'nodes', 'BenchProbe'), { recursive: true });
	const manifest = {
		name: PROBE_PACKAGE,
		version: '0.0.1',
		description: 'Bench-only package of n8n-nodes-evergis (never published)',
		license: 'MIT',
		keywords: ['n8n-community-node-package'],
		files: ['dist'],
		n8n: { n8nNodesApiVersion: 1, nodes: ['dist/nodes/BenchProbe/BenchProbe.node.js'] },
		peerDependencies: { 'n8n-workflow': '*' },
	};
	writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
	writeFileSync(join(pkg, 'dist', 'nodes', 'BenchProbe', 'BenchProbe.node.js'), NODE_JS);
	return await packDirectory(pkg, dir);
}
