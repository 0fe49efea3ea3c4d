import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { TestEngine } from '../helpers/engine';
import { SecretScan } from '../helpers/secrets';
import { fixture, tilingWorkflow, uploadParameters } from '../helpers/workflows';

/**
 * Bad networks and impatient tokens (issue: "nothing lost, nothing doubled, nothing leaked"):
 * the sandbox expires tokens every 2 s and answers 5xx, 429, 419 or resets the connection, and
 * the counts it keeps show that no item failed that could succeed, no file went up twice and no
 * task was made twice.
 */

let sandbox: Sandbox;
let engine: TestEngine;
const scan = new SecretScan();
const tenth = fixture('rgb-byte-tenth.tif');

beforeAll(async () => {
	sandbox = await startSandbox({ taskDurationMs: 1500, seed: 7 });
	engine = await TestEngine.create();
});
beforeEach(() => {
	engine.setCredentials('cred-1', {
		host: sandbox.url,
		username: 'demo',
		password: 'demo-password',
	});
	sandbox.setOptions({ faults: {}, tokenLifetimeMs: 600_000, taskDurationMs: 1500 });
	sandbox.resetStats();
});
afterAll(async () => {
	// Nothing a user or an operator could see holds the password or any token the sandbox issued.
	expect(scan.size).toBeGreaterThan(0);
	expect(scan.find(sandbox.issuedSecrets())).toEqual([]);
	await sandbox.close();
});

function items(count: number) {
	return Array.from({ length: count }, (_, n) => ({ json: { n }, files: { data: tenth } }));
}

/** Per item: the file names of the tasks the sandbox made for it, and how often each file was stored. */
function countsSince(taskMark: number, uploadMark: number) {
	const tasks = sandbox.tasks().slice(taskMark);
	const uploads = sandbox.uploads().slice(uploadMark);
	const tasksPerFile = new Map<string, number>();
	for (const task of tasks) {
		for (const file of (task.body as { files: string[] }).files)
			tasksPerFile.set(file, (tasksPerFile.get(file) ?? 0) + 1);
	}
	return { tasks, uploads, tasksPerFile };
}

test('a 2 s token during a 200-item run with waiting: no failed item, each file uploaded once, each task created once', async () => {
	sandbox.setOptions({ tokenLifetimeMs: 2000 });
	const taskMark = sandbox.tasks().length;
	const uploadMark = sandbox.uploads().length;
	const result = scan.add(
		await engine.run(
			tilingWorkflow(
				uploadParameters('demo.landsat_images', { options: { pollInterval: 0.5, concurrency: 8 } }),
				items(200),
			),
		),
	);
	expect(result.error).toBeUndefined();
	const out = result.output('EverGIS');
	expect(out).toHaveLength(200);
	expect(out.filter((item) => item.json.status !== 'Completed')).toEqual([]);
	const { tasks, uploads, tasksPerFile } = countsSince(taskMark, uploadMark);
	expect(tasks).toHaveLength(200);
	expect([...tasksPerFile.values()].every((count) => count === 1)).toBe(true);
	expect(uploads).toHaveLength(200);
	expect(new Set(uploads.map((upload) => upload.fileId)).size).toBe(200);
	const stats = sandbox.stats();
	expect(stats.tasksCreated).toBe(200);
	expect(stats.uploadsStored).toBe(200);
	// The run outlived several tokens, and renewing them did not cost a login per request.
	expect(stats.logins).toBeGreaterThan(1);
	expect(stats.logins).toBeLessThan(40);
	console.log(
		`2 s tokens, 200 items: ${Math.round(result.durationMs)} ms, ${stats.logins} logins, ${stats.requests.upload} upload and ${stats.requests.createTask} create requests`,
	);
});

test('10 % of progress and upload requests fail (5xx, 429, 419, resets): no failed item, nothing doubled', async () => {
	const kinds = ['500', '502', '503', '504', '429', '419', 'reset', 'reset-after'] as const;
	sandbox.setOptions({
		taskDurationMs: 800,
		faults: {
			upload: { rate: 0.1, kinds: [...kinds] },
			progress: { rate: 0.1, kinds: [...kinds] },
		},
	});
	const taskMark = sandbox.tasks().length;
	const uploadMark = sandbox.uploads().length;
	const result = scan.add(
		await engine.run(
			tilingWorkflow(
				uploadParameters('demo.landsat_images', { options: { pollInterval: 0.2, concurrency: 8 } }),
				items(100),
			),
		),
	);
	expect(result.error).toBeUndefined();
	const out = result.output('EverGIS');
	expect(out.filter((item) => item.json.status !== 'Completed')).toEqual([]);
	const stats = sandbox.stats();
	expect(stats.faults.upload).toBeGreaterThan(0);
	expect(stats.faults.progress).toBeGreaterThan(0);
	const { tasks, uploads, tasksPerFile } = countsSince(taskMark, uploadMark);
	expect(tasks).toHaveLength(100);
	expect([...tasksPerFile.values()].every((count) => count === 1)).toBe(true);
	// A file stored and then reset ('reset-after') is sent again under the same name: replaced, not doubled.
	expect(new Set(uploads.map((upload) => upload.fileId)).size).toBe(100);
	console.log(
		`faults injected: ${stats.faults.upload} on uploads, ${stats.faults.progress} on progress; ${stats.logins} logins`,
	);
});

test('faults on task creation: the sandbox makes exactly the tasks intended, never two for one file', async () => {
	// 503/429/419 come before the task exists: sent again. 500-after and reset-after come after it
	// exists: not sent again, so the item fails saying the task may exist, and no duplicate is made.
	sandbox.setOptions({
		taskDurationMs: 300,
		faults: { createTask: { rate: 0.3, kinds: ['503', '429', '419', '500-after', 'reset-after'] } },
	});
	const taskMark = sandbox.tasks().length;
	const result = scan.add(
		await engine.run(
			tilingWorkflow(
				uploadParameters('demo.landsat_images', { options: { pollInterval: 0.2, concurrency: 4 } }),
				items(60),
				{ continueOnFail: true },
			),
		),
	);
	expect(result.error).toBeUndefined();
	const out = result.output('EverGIS');
	const { tasks, tasksPerFile } = countsSince(taskMark, 0);
	expect(sandbox.stats().faults.createTask).toBeGreaterThan(0);
	// One task per item, no more: the retried faults made their task once, the ambiguous ones too.
	expect(tasks).toHaveLength(60);
	expect([...tasksPerFile.values()].every((count) => count === 1)).toBe(true);
	const failed = out.filter((item) => item.json.error !== undefined);
	for (const item of failed) {
		expect(item.json.error).toMatch(/^EverGIS may have created the task: /);
		expect(item.json.description).toMatch(/did not send it again/);
	}
	expect(out.filter((item) => item.json.status === 'Completed').length + failed.length).toBe(60);
	console.log(
		`create faults: ${sandbox.stats().faults.createTask}; items failed as ambiguous: ${failed.length}`,
	);
});

test('a server that stops answering: the wait ends at its timeout with an error naming the task', async () => {
	sandbox.setOptions({ taskDurationMs: 60_000 });
	const run = await engine.run(
		tilingWorkflow(uploadParameters('demo.landsat_images', { waitForCompletion: false }), items(2)),
	);
	const ids = run.output('EverGIS').map((item) => item.json.taskId as string);
	sandbox.setOptions({ faults: { progress: { rate: 1, kinds: ['hang'] } } });
	const started = Date.now();
	const result = scan.add(
		await engine.run(
			tilingWorkflow(
				{
					resource: 'task',
					operation: 'waitForCompletion',
					taskId: '={{ $json.id }}',
					options: { pollInterval: 0.5, timeout: 3 },
				},
				ids.map((id) => ({ json: { id } })),
				{ continueOnFail: true },
			),
		),
	);
	const elapsed = Date.now() - started;
	const out = result.output('EverGIS');
	expect(out.map((item) => item.json.error)).toEqual(
		ids.map((id, n) =>
			expect.stringMatching(
				new RegExp(
					`^Task ${id} did not finish within 3 s \\(no status received; the last progress request failed: Could not reach EverGIS while reading the progress of task ${id}: no answer within \\d+ s\\) \\[item ${n}\\]$`,
				),
			),
		),
	);
	console.log(`two hanging waits of 3 s ended after ${elapsed} ms (one loop for both)`);
	sandbox.setOptions({ faults: {} });
});

test('failed uploads leave no file open: every attempt closes the binary stream it opened', async () => {
	const { readdirSync, readlinkSync } = await import('node:fs');
	const storage = process.env.N8N_BINARY_DATA_STORAGE_PATH ?? '';
	const openBinaryFiles = () =>
		readdirSync('/proc/self/fd').filter((fd) => {
			try {
				return readlinkSync(`/proc/self/fd/${fd}`).startsWith(storage);
			} catch {
				return false;
			}
		}).length;
	expect(storage).not.toBe('');
	const before = openBinaryFiles();
	// 413 before the body is read, resets in the middle of it, then success on a retry.
	sandbox.setOptions({ maxUploadBytes: 100_000 });
	const refused = scan.add(
		await engine.run(
			tilingWorkflow(
				uploadParameters('demo.landsat_images'),
				[{ files: { data: fixture('RGB.byte.tif') } }],
				{
					continueOnFail: true,
				},
			),
		),
	);
	expect(String(refused.output('EverGIS')[0].json.error)).toMatch(/HTTP 413/);
	sandbox.setOptions({ maxUploadBytes: null });
	sandbox.failNext('upload', 'reset', 3);
	const retried = scan.add(
		await engine.run(
			tilingWorkflow(uploadParameters('demo.landsat_images', { options: { pollInterval: 0.2 } }), [
				{ files: { data: fixture('RGB.byte.tif') } },
			]),
		),
	);
	expect(retried.output('EverGIS')[0].json.status).toBe('Completed');
	// destroy() closes a file a moment later; a forgotten stream stays open until the GC finds it.
	const settleBy = Date.now() + 2_000;
	while (openBinaryFiles() > before && Date.now() < settleBy)
		await new Promise((r) => setTimeout(r, 50));
	expect(openBinaryFiles()).toBe(before);
});

test('temporary files tied to the login session: a login between upload and task re-uploads once, one task', async () => {
	sandbox.setOptions({ filesTiedToSession: true, taskDurationMs: 300 });
	try {
		const taskMark = sandbox.tasks().length;
		const uploadMark = sandbox.uploads().length;
		// 401 on the task request: n8n logs in again (a new session) and resends; the new session
		// has not got the file, EverGIS refuses the task, and the node uploads it again.
		sandbox.failNext('createTask', '401');
		const result = scan.add(
			await engine.run(
				tilingWorkflow(
					uploadParameters('demo.landsat_images', { options: { pollInterval: 0.2 } }),
					items(1),
				),
			),
		);
		expect(result.error).toBeUndefined();
		expect(result.output('EverGIS')[0].json.status).toBe('Completed');
		const { tasks, uploads } = countsSince(taskMark, uploadMark);
		expect(tasks).toHaveLength(1);
		expect(uploads).toHaveLength(2);
		expect(new Set(uploads.map((upload) => upload.fileId)).size).toBe(1);
		expect(new Set(uploads.map((upload) => upload.session)).size).toBe(2);
	} finally {
		sandbox.setOptions({ filesTiedToSession: false });
	}
});
