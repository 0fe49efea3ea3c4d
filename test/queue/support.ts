/**
 * Helpers of the queue-mode suite (queue.test.ts): the workflows it publishes, the rasters it reads,
 * tasks made straight through the sandbox's API, which worker ran which execution, PostgreSQL
 * queries, and the secret scan.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import type { Sandbox } from '../../sandbox';
import type { N8nProcess, UserFolder, WorkflowJson } from '../real-n8n';

export const TILING_NODE_TYPE = 'n8n-nodes-evergis.everGisTiling';
export const TRIGGER_NODE_TYPE = 'n8n-nodes-evergis.everGisTilingTrigger';
export const CREDENTIAL_TYPE = 'everGisApi';
export const CATALOG = 'demo.landsat_images';
export const SOURCE_RASTER = join(__dirname, '..', 'fixtures', 'rasters', 'rgb-byte-tenth.tif');

/** Node names in the workflows (the keys of the run data). */
export const NODES = {
	webhook: 'Webhook',
	read: 'Read rasters',
	tiling: 'EverGIS Tiling',
	trigger: 'EverGIS Tiling Trigger',
	record: 'Record',
} as const;

/**
 * `<dataDir>/<set>/<NN>/image.tif` for NN = 01..count: every file is called image.tif (the upload
 * names must still be unique), and each is a variant of rgb-byte-tenth.tif (a line after the TIFF's
 * last byte, which TIFF readers ignore), so that each stored upload can be traced to its source by
 * its SHA-256. Returns SHA-256 → the file's path relative to dataDir.
 */
export function writeRasterSet(dataDir: string, set: string, count: number): Map<string, string> {
	const source = readFileSync(SOURCE_RASTER);
	const hashes = new Map<string, string>();
	for (let i = 1; i <= count; i++) {
		const dir = String(i).padStart(2, '0');
		mkdirSync(join(dataDir, set, dir), { recursive: true });
		const bytes = Buffer.concat([
			source,
			Buffer.from(`\nevergis queue-mode variant ${set}/${dir}\n`),
		]);
		writeFileSync(join(dataDir, set, dir, 'image.tif'), bytes);
		hashes.set(createHash('sha256').update(bytes).digest('hex'), `${set}/${dir}/image.tif`);
	}
	return hashes;
}

function credentialRef(credentialId: string) {
	return { [CREDENTIAL_TYPE]: { id: credentialId, name: 'EverGIS (sandbox)' } };
}

/**
 * Webhook (POST {set, run, skip?, wait?}) → Read/Write Files from Disk (`<dataDir>/<set>/*\/image.tif`,
 * one item per file) → EverGIS Tiling (Upload to Catalog, one task per file; wait unless `wait` is
 * false; Skip Files Already Loaded, by content, when `skip` is true). The catalog attribute `name`
 * carries the request's `run`, so that the sandbox's tasks can be traced to the call.
 */
export function batchWorkflow(options: {
	path: string;
	dataDir: string;
	credentialId: string;
	concurrency: number;
}): WorkflowJson {
	return {
		name: 'Queue mode: webhook batch to the catalog',
		nodes: [
			{
				id: randomUUID(),
				name: NODES.webhook,
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: randomUUID(),
				parameters: {
					path: options.path,
					httpMethod: 'POST',
					responseMode: 'onReceived',
					options: {},
				},
			},
			{
				id: randomUUID(),
				name: NODES.read,
				type: 'n8n-nodes-base.readWriteFile',
				typeVersion: 1,
				position: [220, 0],
				parameters: {
					operation: 'read',
					fileSelector: `={{ ${JSON.stringify(options.dataDir + '/')} + $json.body.set + '/*/image.tif' }}`,
					options: { dataPropertyName: 'data' },
				},
			},
			{
				id: randomUUID(),
				name: NODES.tiling,
				type: TILING_NODE_TYPE,
				typeVersion: 1,
				position: [440, 0],
				parameters: {
					resource: 'raster',
					operation: 'uploadToCatalog',
					catalog: { __rl: true, mode: 'name', value: CATALOG },
					inputSource: 'binary',
					binaryProperties: 'data',
					taskPer: 'file',
					attributesMode: 'fields',
					attributes: {
						attribute: [
							{ name: 'name', value: `={{ $('${NODES.webhook}').first().json.body.run }}` },
							{ name: 'dateofimage', value: '={{ $now.toISO() }}' },
						],
					},
					waitForCompletion: `={{ $('${NODES.webhook}').first().json.body.wait !== false }}`,
					skipAlreadyLoaded: `={{ $('${NODES.webhook}').first().json.body.skip === true }}`,
					options: { concurrency: options.concurrency, pollInterval: 1, timeout: 600 },
				},
				credentials: credentialRef(options.credentialId),
			},
		],
		connections: {
			[NODES.webhook]: { main: [[{ node: NODES.read, type: 'main', index: 0 }]] },
			[NODES.read]: { main: [[{ node: NODES.tiling, type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

/** EverGIS Tiling Trigger (every minute, all end statuses) → a Code node that returns its input. */
export function triggerWorkflow(options: {
	taskIds: string[];
	credentialId: string;
}): WorkflowJson {
	return {
		name: 'Queue mode: tiling trigger',
		nodes: [
			{
				id: randomUUID(),
				name: NODES.trigger,
				type: TRIGGER_NODE_TYPE,
				typeVersion: 1,
				position: [0, 0],
				parameters: {
					pollTimes: { item: [{ mode: 'everyMinute' }] },
					taskIds: options.taskIds.join('\n'),
					statuses: ['Completed', 'Failed', 'Canceled', 'Timeout', 'Error', 'Interrupted'],
					options: {},
				},
				credentials: credentialRef(options.credentialId),
			},
			{
				id: randomUUID(),
				name: NODES.record,
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: [220, 0],
				parameters: {
					jsCode:
						'return $input.all().map((item) => ({ json: { ...item.json, recorded: true } }));',
				},
			},
		],
		connections: {
			[NODES.trigger]: { main: [[{ node: NODES.record, type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

/** Tiling tasks made through the sandbox's API, as another EverGIS client would. */
export async function createSandboxTasks(
	sandbox: Sandbox,
	credentials: { username: string; password: string },
	count: number,
	tag: string,
): Promise<string[]> {
	const login = await fetch(`${sandbox.url}/account/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(credentials),
	});
	if (login.status !== 200) throw new Error(`sandbox login: HTTP ${login.status}`);
	const { token } = (await login.json()) as { token: string };
	const auth = { authorization: `Bearer ${token}` };
	const fileId = `${tag}.tif`;
	const form = new FormData();
	form.append('rewrite', 'true');
	form.append('file', new Blob([readFileSync(SOURCE_RASTER)]), fileId);
	const upload = await fetch(`${sandbox.url}/upload/file`, {
		method: 'POST',
		headers: auth,
		body: form,
	});
	if (upload.status !== 200) throw new Error(`sandbox upload: HTTP ${upload.status}`);
	const ids: string[] = [];
	for (let i = 0; i < count; i++) {
		const res = await fetch(`${sandbox.url}/scheduler/tasks?type=tiling`, {
			method: 'POST',
			headers: { ...auth, 'content-type': 'application/json' },
			body: JSON.stringify({
				files: [fileId],
				attributes: { name: tag, dateofimage: '2024-01-01T00:00:00+00:00' },
				polygonize: false,
				useCog: true,
				target: {
					type: 'tileFeatureLayerTaskDataStorage',
					serviceName: CATALOG,
					createNewService: false,
				},
			}),
		});
		if (res.status !== 200) throw new Error(`sandbox task: HTTP ${res.status} ${await res.text()}`);
		ids.push(((await res.json()) as { taskId: string }).taskId);
	}
	return ids;
}

/** Execution id → the name of the worker whose log says "Worker started execution <id>". */
export function executionsByWorker(workers: N8nProcess[]): Map<string, string[]> {
	const byExecution = new Map<string, string[]>();
	for (const worker of workers) {
		for (const line of worker.lines) {
			const match = /Worker started execution (\d+) \(job /.exec(line);
			if (!match) continue;
			const names = byExecution.get(match[1]) ?? [];
			names.push(worker.name);
			byExecution.set(match[1], names);
		}
	}
	return byExecution;
}

/** Execution ids a main's log says it put on the queue ("Enqueued execution <id> (job <n>)"). */
export function enqueuedBy(main: N8nProcess): Set<string> {
	const ids = new Set<string>();
	for (const line of main.lines) {
		const match = /Enqueued execution (\d+) \(job /.exec(line);
		if (match) ids.add(match[1]);
	}
	return ids;
}

type PgClient = {
	connect(): Promise<void>;
	query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
	end(): Promise<void>;
};

/** Runs one query on the folder's PostgreSQL with the `pg` driver of the n8n install. */
export async function queryPostgres(
	folder: UserFolder,
	sql: string,
	params: unknown[] = [],
): Promise<Array<Record<string, unknown>>> {
	const postgres = folder.options.postgres;
	if (!postgres) throw new Error('the folder has no PostgreSQL');
	const appRequire = createRequire(join(folder.install.app, 'package.json'));
	const { Client } = appRequire('pg') as { Client: new (config: unknown) => PgClient };
	const client = new Client({ ...postgres });
	await client.connect();
	try {
		return (await client.query(sql, params)).rows;
	} finally {
		await client.end();
	}
}

/** Every file below `dir`, not following symbolic links and leaving out the folders in `skip`. */
export function filesBelow(dir: string, skip: string[] = []): string[] {
	const out: string[] = [];
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const path = join(dir, entry.name);
		if (entry.isDirectory() && !skip.includes(path)) out.push(...filesBelow(path, skip));
		else if (entry.isFile()) out.push(path);
	}
	return out;
}

/** Where any of `secrets` (or, for a JWT, its signature alone) occurs in `text`. */
export function secretHits(text: string, secrets: string[]): string[] {
	const hits: string[] = [];
	for (const secret of secrets) {
		const needles = [secret];
		const parts = secret.split('.');
		if (parts.length === 3 && parts[2].length >= 16) needles.push(parts[2]);
		for (const needle of needles) {
			const at = text.indexOf(needle);
			if (at >= 0) {
				hits.push(
					`${needle === secret ? 'secret' : 'JWT signature'} ${secret.slice(0, 12)}… at ${at}: …${text.slice(Math.max(0, at - 80), at)}<SECRET>…`,
				);
			}
		}
	}
	return hits;
}

/** The payload of a JWT (not verified). */
export function jwtPayload(token: string): Record<string, unknown> {
	return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
		string,
		unknown
	>;
}

/** Counts of each value. */
export function tally<T>(values: T[]): Map<T, number> {
	const counts = new Map<T, number>();
	for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
	return counts;
}
