/**
 * A throwaway community package, written to a temp folder and packed there, to prove the harness
 * (this repo's own nodes are tested by the end-to-end suite). Node "Dummy Echo"
 * (`n8n-nodes-dummy-echo.dummyEcho`) returns each input item plus `tag` (a parameter), `pid`
 * (the process that ran it: the main, or the worker in queue mode) and `credentialToken` (the `token`
 * of its optional "Dummy Echo API" credential); it waits `delayMs` per item first, and fails with a
 * NodeOperationError when `failWith` is set.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { packDirectory } from './pack';

export const DUMMY_PACKAGE = 'n8n-nodes-dummy-echo';
export const DUMMY_NODE_TYPE = `${DUMMY_PACKAGE}.dummyEcho`;
export const DUMMY_CREDENTIAL_TYPE = 'dummyEchoApi';

const NODE_JS = `'use strict';
const { NodeConnectionTypes, NodeOperationError } = require('n8n-workflow');

class DummyEcho {
	constructor() {
		this.description = {
			displayName: 'Dummy Echo',
			name: 'dummyEcho',
			group: ['transform'],
			version: 1,
			description: 'Returns its input plus the id of the process that ran it',
			defaults: { name: 'Dummy Echo' },
			inputs: [NodeConnectionTypes.Main],
			outputs: [NodeConnectionTypes.Main],
			credentials: [{ name: 'dummyEchoApi', required: false }],
			properties: [
				{ displayName: 'Tag', name: 'tag', type: 'string', default: '' },
				{ displayName: 'Delay (ms)', name: 'delayMs', type: 'number', default: 0 },
				{ displayName: 'Fail With', name: 'failWith', type: 'string', default: '' },
			],
		};
	}

	async execute() {
		const items = this.getInputData();
		let credentialToken = null;
		try {
			const credentials = await this.getCredentials('dummyEchoApi');
			credentialToken = credentials.token;
		} catch (error) {
			credentialToken = null;
		}
		const out = [];
		for (let i = 0; i < items.length; i++) {
			const delayMs = this.getNodeParameter('delayMs', i);
			if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
			const failWith = this.getNodeParameter('failWith', i);
			if (failWith) throw new NodeOperationError(this.getNode(), failWith, { itemIndex: i });
			out.push({
				json: {
					...items[i].json,
					tag: this.getNodeParameter('tag', i),
					pid: process.pid,
					credentialToken,
				},
				pairedItem: { item: i },
			});
		}
		return [out];
	}
}

module.exports = { DummyEcho };
`;

const CREDENTIAL_JS = `'use strict';
class DummyEchoApi {
	constructor() {
		this.name = 'dummyEchoApi';
		this.displayName = 'Dummy Echo API';
		this.properties = [
			{ displayName: 'Token', name: 'token', type: 'string', typeOptions: { password: true }, default: '' },
		];
	}
}
module.exports = { DummyEchoApi };
`;

/** Writes the dummy package to a new temp folder, packs it there, returns the tarball's path. */
export async function packDummyPackage(parentDir: string = tmpdir()): Promise<string> {
	const dir = mkdtempSync(join(parentDir, 'evergis-dummy-package-'));
	const pkg = join(dir, 'package');
	mkdirSync(join(pkg, 'dist', 'nodes', 'DummyEcho'), { recursive: true });
	mkdirSync(join(pkg, 'dist', 'credentials'), { recursive: true });
	const manifest = {
		name: DUMMY_PACKAGE,
		version: '0.0.1',
		description: 'Throwaway package of the real-n8n harness test',
		license: 'MIT',
		keywords: ['n8n-community-node-package'],
		files: ['dist'],
		n8n: {
			n8nNodesApiVersion: 1,
			credentials: ['dist/credentials/DummyEchoApi.credentials.js'],
			nodes: ['dist/nodes/DummyEcho/DummyEcho.node.js'],
		},
		peerDependencies: { 'n8n-workflow': '*' },
	};
	writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
	writeFileSync(join(pkg, 'dist', 'nodes', 'DummyEcho', 'DummyEcho.node.js'), NODE_JS);
	writeFileSync(join(pkg, 'dist', 'credentials', 'DummyEchoApi.credentials.js'), CREDENTIAL_JS);
	return packDirectory(pkg, dir);
}
