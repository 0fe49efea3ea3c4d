/**
 * Proves the real-n8n harness with a throwaway community package (test/real-n8n/dummy-package.ts):
 * n8n execute on SQLite, n8n start with published schedule and webhook workflows, queue mode
 * (PostgreSQL + Redis + a main + two workers), and n8n's own FTP and S3 nodes against the file
 * sources (vsftpd, s3rver). Run with `npm run test:real-n8n-harness`.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { DUMMY_CREDENTIAL_TYPE, DUMMY_NODE_TYPE, packDummyPackage } from './dummy-package';
import {
	createUserFolder,
	ensureN8nInstalled,
	executeWorkflow,
	exportNodeTypes,
	importCredentials,
	importWorkflow,
	listExecutions,
	logStep,
	newN8nId,
	nodeItems,
	publishWorkflow,
	startN8n,
	startFtpServer,
	startQueueServices,
	startS3Server,
	stopAll,
	timingSummary,
	waitForExecutions,
	waitForWebhook,
	type N8nProcess,
	type NodeRun,
	type UserFolder,
	type WorkflowJson,
} from './index';

const cleanups: Array<() => Promise<void> | void> = [];
let tarball: string;

beforeAll(async () => {
	await ensureN8nInstalled();
	tarball = await logStep('pack the dummy package', () => packDummyPackage());
	cleanups.push(() => rmSync(dirname(tarball), { recursive: true, force: true }));
});

afterAll(async () => {
	await stopAll();
	for (const cleanup of cleanups.reverse()) await cleanup();
	process.stderr.write(`\n[real-n8n] step timings:\n${timingSummary()}\n`);
});

async function folderWith(
	options: Parameters<typeof createUserFolder>[0] = {},
): Promise<UserFolder> {
	const folder = await logStep('create user folder', () =>
		createUserFolder({ tarballs: [tarball], ...options }),
	);
	cleanups.push(() => folder.cleanup());
	return folder;
}

function echoNode(parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) {
	return {
		id: 'echo-node',
		name: 'Echo',
		type: DUMMY_NODE_TYPE,
		typeVersion: 1,
		position: [220, 0],
		parameters,
		...extra,
	};
}

function webhookWorkflow(path: string, echoParameters: Record<string, unknown>): WorkflowJson {
	return {
		id: newN8nId(),
		name: `Webhook ${path}`,
		nodes: [
			{
				id: 'webhook-node',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: `00000000-0000-4000-8000-${path
					.replace(/[^0-9a-f]/g, '')
					.padEnd(12, '0')
					.slice(0, 12)}`,
				parameters: { path, httpMethod: 'POST', responseMode: 'lastNode', options: {} },
			},
			echoNode(echoParameters),
		],
		connections: { Webhook: { main: [[{ node: 'Echo', type: 'main', index: 0 }]] } },
	};
}

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
	const response = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
		signal: AbortSignal.timeout(60_000),
	});
	const text = await response.text();
	if (response.status !== 200) throw new Error(`POST ${url}: ${response.status} ${text}`);
	return JSON.parse(text) as Record<string, unknown>;
}

const manualTrigger = {
	id: 'start-node',
	name: 'Start',
	type: 'n8n-nodes-base.manualTrigger',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

test('n8n execute runs Manual Trigger -> Dummy Echo -> Code, with a credential and $env (SQLite)', async () => {
	const folder = await folderWith({ env: { EVERGIS_HARNESS_VALUE: 'from-env' } });
	const [credentialId] = await importCredentials(folder, {
		name: 'Dummy token',
		type: DUMMY_CREDENTIAL_TYPE,
		data: { token: 'secret-1' },
	});
	const [workflowId, failingId] = await importWorkflow(folder, [
		{
			name: 'Dummy echo (manual)',
			nodes: [
				manualTrigger,
				echoNode(
					{ tag: '={{ $env.EVERGIS_HARNESS_VALUE }}' },
					{ credentials: { [DUMMY_CREDENTIAL_TYPE]: { id: credentialId, name: 'Dummy token' } } },
				),
				{
					// The Code node runs in n8n's task runner (a child process of n8n, internal mode).
					id: 'code-node',
					name: 'Code',
					type: 'n8n-nodes-base.code',
					typeVersion: 2,
					position: [440, 0],
					parameters: {
						jsCode:
							'return $input.all().map((item) => ({ json: { ...item.json, viaCode: true } }));',
					},
				},
			],
			connections: {
				Start: { main: [[{ node: 'Echo', type: 'main', index: 0 }]] },
				Echo: { main: [[{ node: 'Code', type: 'main', index: 0 }]] },
			},
		},
		{
			name: 'Dummy echo (failing)',
			nodes: [manualTrigger, echoNode({ failWith: 'dummy failure' })],
			connections: { Start: { main: [[{ node: 'Echo', type: 'main', index: 0 }]] } },
		},
	]);

	const nodeTypes = await exportNodeTypes(folder);
	expect(nodeTypes.map((type) => type.name)).toContain(DUMMY_NODE_TYPE);

	const result = await executeWorkflow(folder, workflowId);
	expect(result.error).toBeUndefined();
	expect(result.run.status).toBe('success');
	const items = nodeItems(result.runData, 'Echo');
	expect(items).toEqual([
		{ tag: 'from-env', pid: expect.any(Number), credentialToken: 'secret-1' },
	]);
	expect(nodeItems(result.runData, 'Code')).toEqual([{ ...items[0], viaCode: true }]);

	// A failing workflow: n8n prints its run data too, and exits non-zero.
	const failed = await executeWorkflow(folder, failingId);
	expect(failed.run.status).toBe('error');
	expect(failed.error).toMatchObject({ message: 'dummy failure' });
	expect(failed.runData.Echo[0].error).toMatchObject({ message: 'dummy failure' });
	expect(failed.exit.code).not.toBe(0);

	const records = await logStep('listExecutions (SQLite)', () =>
		listExecutions(folder, { includeData: true }),
	);
	expect(records.map((r) => [r.workflowId, r.status, r.mode])).toEqual([
		[workflowId, 'success', 'cli'],
		[failingId, 'error', 'cli'],
	]);
	expect(records[0].data?.resultData.runData.Echo[0].data?.main?.[0]?.[0]?.json).toEqual(items[0]);
});

test('n8n start runs published workflows: a Schedule Trigger and a webhook (SQLite)', async () => {
	const folder = await folderWith();
	const hook = webhookWorkflow('dummy-echo-regular', { tag: 'hook' });
	const schedule: WorkflowJson = {
		id: newN8nId(),
		name: 'Dummy echo (schedule)',
		nodes: [
			{
				id: 'schedule-node',
				name: 'Schedule',
				type: 'n8n-nodes-base.scheduleTrigger',
				typeVersion: 1.2,
				position: [0, 0],
				parameters: { rule: { interval: [{ field: 'seconds', secondsInterval: 2 }] } },
			},
			echoNode({ tag: 'schedule' }),
		],
		connections: { Schedule: { main: [[{ node: 'Echo', type: 'main', index: 0 }]] } },
	};
	await importWorkflow(folder, [hook, schedule]);
	await publishWorkflow(folder, hook.id as string);
	await publishWorkflow(folder, schedule.id as string);

	const main = await startN8n(folder);
	await logStep('n8n start ready', () => main.waitReady());
	await logStep('webhook registered', () => waitForWebhook(main, 'dummy-echo-regular'));
	const answer = await logStep('call the webhook', () =>
		postJson(main.webhookUrl('dummy-echo-regular'), { hello: 'world' }),
	);
	expect(answer).toMatchObject({ body: { hello: 'world' }, tag: 'hook', pid: main.pid });

	const records = await logStep('schedule and webhook executions recorded', () =>
		waitForExecutions(folder, {
			includeData: true,
			timeoutMs: 60_000,
			until: (rs) =>
				rs.some((r) => r.workflowId === schedule.id && r.status === 'success') &&
				rs.some((r) => r.workflowId === hook.id && r.status === 'success'),
		}),
	);
	const scheduled = records.find((r) => r.workflowId === schedule.id && r.status === 'success');
	expect(scheduled?.mode).toBe('trigger');
	expect(scheduled?.data?.resultData.runData.Echo[0].data?.main?.[0]?.[0]?.json).toMatchObject({
		tag: 'schedule',
		pid: main.pid,
	});
	expect(records.find((r) => r.workflowId === hook.id)?.mode).toBe('webhook');
	await logStep('stop n8n start', () => main.stop());
});

test('queue mode: PostgreSQL + Redis, a main and two workers share webhook executions', async () => {
	const services = await logStep('start PostgreSQL and Redis', () => startQueueServices());
	cleanups.push(() => services.stop());
	const folder = await folderWith({
		postgres: services.postgres.connection,
		redis: services.redis.connection,
	});
	const hook = webhookWorkflow('dummy-echo-queue', { tag: 'queued', delayMs: 2000 });
	await importWorkflow(folder, hook);
	await publishWorkflow(folder, hook.id as string);

	const main = await startN8n(folder, { mode: 'queue', role: 'main' });
	const workers: N8nProcess[] = [];
	for (let i = 0; i < 2; i++) {
		workers.push(await startN8n(folder, { mode: 'queue', role: 'worker', concurrency: 2 }));
	}
	await logStep('main and 2 workers ready', () =>
		Promise.all([main.waitReady(), ...workers.map((worker) => worker.waitReady())]),
	);
	await logStep('webhook registered (queue)', () => waitForWebhook(main, 'dummy-echo-queue'));

	const answers = await logStep('6 webhook calls in parallel', () =>
		Promise.all(
			Array.from({ length: 6 }, (_, i) =>
				postJson(main.webhookUrl('dummy-echo-queue'), { call: i }),
			),
		),
	);
	const workerPids = workers.map((worker) => worker.pid);
	const answeredPids = answers.map((answer) => answer.pid as number);
	for (const pid of answeredPids) expect(workerPids).toContain(pid);
	expect(new Set(answeredPids).size).toBe(2);

	const records = await logStep('6 executions recorded (PostgreSQL)', () =>
		waitForExecutions(folder, {
			includeData: true,
			workflowId: hook.id,
			until: (rs) => rs.filter((r) => r.status === 'success').length >= 6,
		}),
	);
	expect(records).toHaveLength(6);
	const recordedPids = records.map(
		(r) => r.data?.resultData.runData.Echo[0].data?.main?.[0]?.[0]?.json.pid as number,
	);
	expect(new Set(recordedPids)).toEqual(new Set(workerPids));
	for (const record of records) expect(record.mode).toBe('webhook');
	for (const worker of workers) {
		expect(worker.lines.some((line) => /Worker started execution/.test(line))).toBe(true);
	}
	await logStep('stop main and workers', () =>
		Promise.all([main.stop(), ...workers.map((worker) => worker.stop())]),
	);
});

/** The binary properties of a node's items (run 0, output 0). */
function nodeBinaries(runData: Record<string, NodeRun[]>, node: string) {
	return (runData[node]?.[0]?.data?.main?.[0] ?? []).map(
		(item) => item.binary as Record<string, { fileName?: string; bytes?: number; id?: string }>,
	);
}

/** An item of the S3 node's Get Many, for a file below incoming/. */
function s3Item(name: string, content: Buffer) {
	return {
		Key: `incoming/${name}`,
		LastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
		ETag: `"${createHash('md5').update(content).digest('hex')}"`,
		Size: String(content.length),
		StorageClass: 'STANDARD',
	};
}

test('the FTP and S3 nodes list and download from vsftpd and s3rver, which count the downloads', async () => {
	const [ftp, s3] = await Promise.all([startFtpServer(), startS3Server({ bucket: 'rasters' })]);
	cleanups.push(
		() => ftp.stop(),
		() => s3.stop(),
	);
	const files: Record<string, Buffer> = {
		'a.tif': readFileSync(join(__dirname, '..', 'fixtures', 'rasters', 'rgb-byte-tenth.tif')),
		'b.tif': Buffer.from('second file'),
		'c.tif': Buffer.from('third file, a little longer'),
	};
	for (const [name, content] of Object.entries(files)) {
		// b.tif is older than 6 months (its listed modifyTime is the day only)
		const mtime = name === 'b.tif' ? new Date('2024-01-02T03:04:05Z') : undefined;
		await ftp.put(`incoming/${name}`, content, { mtime });
		await s3.put(`incoming/${name}`, content);
	}
	const folder = await folderWith();
	const [ftpCredential, s3Credential] = await importCredentials(folder, [
		{ name: 'FTP source', type: 'ftp', data: ftp.credentials },
		{ name: 'S3 source', type: 's3', data: s3.credentials },
	]);
	const ftpRef = { ftp: { id: ftpCredential, name: 'FTP source' } };
	const s3Ref = { s3: { id: s3Credential, name: 'S3 source' } };
	const ftpList = {
		id: 'ftp-list',
		name: 'FTP List',
		type: 'n8n-nodes-base.ftp',
		typeVersion: 1.1,
		position: [220, 0],
		parameters: { protocol: 'ftp', operation: 'list', path: '/incoming', recursive: false },
		credentials: ftpRef,
	};
	const s3List = {
		id: 's3-list',
		name: 'S3 List',
		type: 'n8n-nodes-base.s3',
		typeVersion: 1,
		position: [220, 200],
		parameters: {
			resource: 'file',
			operation: 'getAll',
			bucketName: s3.bucket,
			returnAll: true,
			options: { folderKey: 'incoming/' },
		},
		credentials: s3Ref,
	};
	const ftpDownload = {
		id: 'ftp-download',
		name: 'FTP Download',
		type: 'n8n-nodes-base.ftp',
		typeVersion: 1.1,
		position: [440, 0],
		parameters: {
			protocol: 'ftp',
			operation: 'download',
			path: '={{ $json.path }}',
			binaryPropertyName: 'data',
		},
		credentials: ftpRef,
	};
	const s3Download = {
		id: 's3-download',
		name: 'S3 Download',
		type: 'n8n-nodes-base.s3',
		typeVersion: 1,
		position: [440, 200],
		parameters: {
			resource: 'file',
			operation: 'download',
			bucketName: s3.bucket,
			fileKey: '={{ $json.Key }}',
			binaryPropertyName: 'data',
		},
		credentials: s3Ref,
	};
	const to = (node: string) => ({ main: [[{ node, type: 'main', index: 0 }]] });
	const fromStart = { main: [[...to('FTP List').main[0], ...to('S3 List').main[0]]] };
	const [downloadId, listId] = await importWorkflow(folder, [
		{
			name: 'Sources: list and download',
			nodes: [manualTrigger, ftpList, s3List, ftpDownload, s3Download],
			connections: {
				Start: fromStart,
				'FTP List': to('FTP Download'),
				'S3 List': to('S3 Download'),
			},
		},
		{
			name: 'Sources: list only',
			nodes: [manualTrigger, ftpList, s3List],
			connections: {
				Start: fromStart,
			},
		},
	]);

	const result = await executeWorkflow(folder, downloadId);
	expect(result.error).toBeUndefined();
	const ftpItems = nodeItems(result.runData, 'FTP List');
	const s3Items = nodeItems(result.runData, 'S3 List');
	process.stderr.write(
		`[sources] FTP List item: ${JSON.stringify(ftpItems[0])}\n[sources] S3 List item: ${JSON.stringify(s3Items[0])}\n`,
	);
	// FTP: vsftpd's LIST has minutes for recent files, only the day for files older than 6 months.
	const minute = /^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/;
	expect(ftpItems).toEqual(
		Object.entries(files).map(([name, content]) => ({
			type: '-',
			name,
			sticky: false,
			rights: { user: 'rw', group: 'r', other: 'r' },
			acl: false,
			owner: '0',
			group: '0',
			size: content.length,
			modifyTime: name === 'b.tif' ? '2024-01-02T00:00:00.000Z' : expect.stringMatching(minute),
			path: `/incoming/${name}`,
		})),
	);
	// S3: what ListObjectsV2 says, as strings; the ETag keeps its quotes.
	expect(s3Items).toEqual(Object.entries(files).map(([name, content]) => s3Item(name, content)));
	// The downloads keep the listing's JSON and add the file.
	expect(nodeItems(result.runData, 'FTP Download')).toEqual(ftpItems);
	expect(nodeItems(result.runData, 'S3 Download')).toEqual(s3Items);
	for (const node of ['FTP Download', 'S3 Download']) {
		expect(
			nodeBinaries(result.runData, node).map(({ data }) => [data.fileName, data.bytes]),
		).toEqual(Object.entries(files).map(([name, content]) => [name, content.length]));
	}
	const once = (prefix: string) =>
		Object.fromEntries(Object.keys(files).map((name) => [`${prefix}incoming/${name}`, 1]));
	expect(ftp.downloads()).toEqual(once('/'));
	expect(s3.downloads()).toEqual(once(''));

	// Replace b.tif, remove c.tif, and list only: the listings change, nothing is downloaded.
	ftp.resetDownloads();
	s3.resetDownloads();
	const replaced = Buffer.from('second file, replaced');
	await Promise.all([ftp.put('incoming/b.tif', replaced), s3.put('incoming/b.tif', replaced)]);
	await Promise.all([ftp.remove('incoming/c.tif'), s3.remove('incoming/c.tif')]);
	const listed = await executeWorkflow(folder, listId);
	expect(listed.error).toBeUndefined();
	expect(nodeItems(listed.runData, 'FTP List').map((item) => [item.path, item.size])).toEqual([
		['/incoming/a.tif', files['a.tif'].length],
		['/incoming/b.tif', replaced.length],
	]);
	expect(nodeItems(listed.runData, 'S3 List')).toEqual([
		s3Item('a.tif', files['a.tif']),
		s3Item('b.tif', replaced),
	]);
	expect(ftp.downloads()).toEqual({});
	expect(s3.downloads()).toEqual({});
});
