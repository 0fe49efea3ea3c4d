import { loginScope } from '../../nodes/EverGis/transport/login';
import { searchCatalogs } from '../../nodes/EverGis/methods/listSearch';
import { UNKNOWN_GRACE } from '../../nodes/EverGis/model/statuses';
import { NEWER_API_TEST_MESSAGE } from '../../nodes/EverGis/transport/generation';
import { startSandbox } from '../../sandbox';
import type { Dialect, Sandbox, SandboxOptions } from '../../sandbox';
import type { RunResult, WorkflowSpec } from '../helpers/engine';
import { capturedLogs, TestEngine } from '../helpers/engine';
import { fixture, tilingWorkflow, uploadParameters } from '../helpers/workflows';

// The EverGIS docs give some paths two ways, and a server may speak the newer API generation; the
// sandbox serves one reading strictly (its dialect: sandbox/README.md), so each test here fails if
// the node reads that server the other way. docs/evergis-api.md says which test covers which way.

/**
 * A sandbox of its own (a host of its own: what the node learns of a host lives per process), and
 * an engine with credentials for it: fresh ones (no token yet: their first login asks which API
 * generation the host speaks), or with a token already issued for them (`storedToken`).
 */
async function serverOf(
	options: SandboxOptions,
	{ storedToken = false } = {},
): Promise<{ sandbox: Sandbox; engine: TestEngine; log: string[] }> {
	const log: string[] = [];
	const sandbox = await startSandbox({
		taskDurationMs: 300,
		...options,
		log: (line) => log.push(line),
	});
	const engine = await TestEngine.create();
	engine.setCredentials('cred-1', {
		...credentialsOf(sandbox),
		...(storedToken ? await tokenFor(sandbox) : {}),
	});
	return { sandbox, engine, log };
}

const credentialsOf = (sandbox: Sandbox) => ({
	host: sandbox.url,
	username: 'demo',
	password: 'demo-password',
});

/** A token issued for the demo credentials (as n8n stores it after their first login). */
async function tokenFor(sandbox: Sandbox): Promise<{ token: string; issuedFor: string }> {
	const answer = await fetch(`${sandbox.url}/account/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ username: 'demo', password: 'demo-password' }),
	});
	const { token } = (await answer.json()) as { token: string };
	return { token, issuedFor: loginScope(credentialsOf(sandbox)) };
}

const taskWorkflow = (operation: string, taskIds: string[], more: object = {}): WorkflowSpec =>
	tilingWorkflow(
		{ resource: 'task', operation, taskId: '={{ $json.id }}', ...more },
		taskIds.map((id) => ({ json: { id } })),
	);

const uploadAndWait = (options: object = {}, file = 'rgb-byte-tenth.tif', continueOnFail = false) =>
	tilingWorkflow(
		uploadParameters('demo.landsat_images', { options: { pollInterval: 0.05, ...options } }),
		[{ files: { data: fixture(file) } }],
		{ continueOnFail },
	);

const only = (result: RunResult) => {
	expect(result.error).toBeUndefined();
	return result.output('EverGIS').map((item) => item.json);
};

/** The request log's route errors: API requests answered an empty 404 or 405 (not the login's probe). */
const routeErrors = (log: string[]) =>
	log.filter((line) => / \/sp\/\S+ 40[45] /.test(line) && !line.includes('/scheduler/worker'));

describe.each([['tiling-page'], ['reference-page']] as Array<[Dialect]>)(
	'a server that reads the docs as the %s',
	(dialect) => {
		let server: Awaited<ReturnType<typeof serverOf>>;
		beforeAll(async () => {
			server = await serverOf({ dialect });
		});
		afterAll(async () => await server.sandbox.close());

		// Red before for the reference page: every progress request got an empty 404 ("no such task").
		test('two runs of Upload to Catalog (wait), Task → Get, Get Status and Cancel: the other reading costs one request per process', async () => {
			const { engine, sandbox, log } = server;
			for (const run of [1, 2]) {
				const [loaded] = only(await engine.run(uploadAndWait()));
				expect(loaded).toMatchObject({ status: 'Completed', finished: true, succeeded: true });
				const id = String(loaded.taskId);
				const [info] = only(await engine.run(taskWorkflow('get', [id])));
				expect(info).toMatchObject({ taskId: id, owner: 'demo', status: 'Completed' });
				const [status] = only(await engine.run(taskWorkflow('getStatus', [id])));
				expect(status).toMatchObject({ taskId: id, status: 'Completed', finished: true });
				const [canceled] = only(await engine.run(taskWorkflow('cancel', [id])));
				expect(canceled).toMatchObject({ taskId: id, status: 'Completed' });
				// The task the node reads is the sandbox's own.
				expect(sandbox.tasks().find((task) => task.id === id)?.status).toBe('Completed');
				expect({ run, routeErrors: routeErrors(log).length }).toEqual({
					run,
					routeErrors: dialect === 'tiling-page' ? 0 : 1,
				});
			}
		});

		test('five items waited for at once, on a host nothing is known of: still at most one extra request', async () => {
			const fresh = await serverOf({ dialect });
			try {
				const result = await fresh.engine.run(
					tilingWorkflow(
						uploadParameters('demo.landsat_images', { options: { pollInterval: 0.05 } }),
						Array.from({ length: 5 }, () => ({ files: { data: fixture('rgb-byte-tenth.tif') } })),
					),
				);
				expect(only(result).map((item) => item.status)).toEqual(Array(5).fill('Completed'));
				expect(routeErrors(fresh.log)).toHaveLength(dialect === 'tiling-page' ? 0 : 1);
			} finally {
				await fresh.sandbox.close();
			}
		});

		test('Wait for Completion and Cancel of a running task', async () => {
			const { engine, sandbox } = server;
			sandbox.setOptions({ taskDurationMs: null });
			try {
				const [submitted] = only(
					await engine.run(
						tilingWorkflow(uploadParameters('demo.landsat_images', { waitForCompletion: false })),
					),
				);
				const id = String(submitted.taskId);
				const [canceled] = only(await engine.run(taskWorkflow('cancel', [id])));
				expect(canceled).toMatchObject({ taskId: id, status: 'Canceled', finished: true });
				const [waited] = only(
					await engine.run(
						taskWorkflow('waitForCompletion', [id], {
							options: { pollInterval: 0.05, outputFailedTasks: true },
						}),
					),
				);
				expect(waited).toMatchObject({ taskId: id, status: 'Canceled', failed: true });
			} finally {
				sandbox.setOptions({ taskDurationMs: 300 });
			}
		});

		test("EverGIS's own 404 for an unknown task is still 'no such task'", async () => {
			const result = await server.engine.run(
				taskWorkflow('getStatus', ['00000000-0000-4000-8000-000000000000']),
			);
			expect(result.error?.message).toBe(
				"EverGIS has no task '00000000-0000-4000-8000-000000000000' [item 0]",
			);
		});
	},
);

describe('a server that serves neither reading of a path (and is not of the newer API)', () => {
	// Red before: an empty 404 said "EverGIS has no task": the item failed so, and the trigger
	// reported the task NotFound once and dropped it.
	test('the error names both paths, not "no such task"', async () => {
		const { sandbox, engine } = await serverOf({});
		try {
			const [submitted] = only(
				await engine.run(
					tilingWorkflow(uploadParameters('demo.landsat_images', { waitForCompletion: false })),
				),
			);
			// Now the host serves no task path of the docs.
			sandbox.setOptions({ dialect: 'newer' });
			// Should it ask again, its spec-only request is refused too (a JSON 400): not the newer API.
			sandbox.failNext('newerApi', '400');
			const id = String(submitted.taskId);
			const result = await engine.run(taskWorkflow('getStatus', [id]));
			expect(result.error?.message).toBe(
				`EverGIS at ${sandbox.url} serves neither GET /scheduler/tasks/${id}/progress (the tiling page's path) nor GET /scheduler/${id}/progress (the scheduler reference page's) while reading the progress of task ${id} [item 0]`,
			);
			expect(result.error?.description).toMatch(/^Both paths the EverGIS docs give/);
		} finally {
			await sandbox.close();
		}
	});
});

describe('a server of the newer API generation', () => {
	const sentence = (sandbox: Sandbox) =>
		`The EverGIS API at ${sandbox.url} is the newer generation (task prototypes and file resources), which has no tiling task this package can use`;

	// Red before: the Test passed (GET /account/{username} is in both generations).
	test("the credentials' Test says which generation it is, at the credentials' first login", async () => {
		const { sandbox, engine } = await serverOf({ dialect: 'newer' });
		try {
			expect(await engine.testCredentials(credentialsOf(sandbox))).toEqual({
				status: 'Error',
				message: sentence(sandbox),
			});
		} finally {
			await sandbox.close();
		}
	});

	// Red before: the Test passed.
	test("with a token stored, no login: the Test's own request (GET /layers, 405) says it", async () => {
		const { sandbox, engine } = await serverOf({ dialect: 'newer' });
		try {
			expect(
				await engine.testCredentials({ ...credentialsOf(sandbox), ...(await tokenFor(sandbox)) }),
			).toEqual({ status: 'Error', message: NEWER_API_TEST_MESSAGE });
		} finally {
			await sandbox.close();
		}
	});

	// Red before: "EverGIS has no such resource (HTTP 404) while uploading…", and so on for each.
	test('the first failing request of a run says it, in one sentence; so do the task operations and the picker', async () => {
		const { sandbox, engine, log } = await serverOf({ dialect: 'newer' }, { storedToken: true });
		const before = log.length; // the test's own login for the stored token
		try {
			const result = await engine.run(uploadAndWait());
			expect(result.error?.message).toBe(`${sentence(sandbox)} [item 0]`);
			expect(result.error?.description).toMatch(
				/^It answered POST \/upload\/file with HTTP 404, and serves the newer API's GET \/scheduler\/worker\. /,
			);
			expect(result.error?.description).toMatch(/Point Host at an EverGIS server/);
			// The catalog check (GET /layers/{name} is in both), the upload's 404, the one probe.
			expect(log.slice(before).map((line) => line.split(' ').slice(0, 3).join(' '))).toEqual([
				'GET /sp/layers/demo.landsat_images 200',
				'POST /sp/upload/file 404',
				'GET /sp/scheduler/worker 200',
			]);
			const id = '91126928-4189-4c20-890a-fc5c56001d26';
			for (const operation of ['getStatus', 'get', 'cancel']) {
				const failed = await engine.run(taskWorkflow(operation, [id]));
				expect({ operation, message: failed.error?.message }).toEqual({
					operation,
					message: `${sentence(sandbox)} [item 0]`,
				});
			}
			const spec = tilingWorkflow(uploadParameters('demo.landsat_images'));
			await expect(engine.loadOptions(spec, 'EverGIS', searchCatalogs)).rejects.toThrow(
				sentence(sandbox),
			);
			expect(log.filter((line) => line.startsWith('GET /sp/scheduler/worker'))).toHaveLength(1);
		} finally {
			await sandbox.close();
		}
	});
});

describe("the raster catalog type: the docs' name or the spec's", () => {
	// Red before: with the spec's names the picker answered the server's 400.
	test.each([['docs'], ['spec']] as Array<['docs' | 'spec']>)(
		'%s: the picker lists the raster catalogs, and learns the name for the next time',
		async (layerTypes) => {
			const { sandbox, engine, log } = await serverOf({ layerTypes });
			try {
				const spec = tilingWorkflow(uploadParameters('demo.landsat_images'));
				for (const time of [1, 2]) {
					const before = log.length;
					const page = await engine.loadOptions(spec, 'EverGIS', searchCatalogs);
					expect(page.results.map((item) => item.value)).toEqual([
						'demo.landsat_images',
						'demo.drone_orthophotos',
					]);
					const lists = log.slice(before).filter((line) => line.startsWith('GET /sp/layers '));
					// my, then role (the shared ones); the first time with the spec's names, my's list with the
					// docs' name is refused (400) and listed again without the type filter.
					expect({ time, lists: lists.length }).toEqual({
						time,
						lists: layerTypes === 'spec' && time === 1 ? 3 : 2,
					});
				}
			} finally {
				await sandbox.close();
			}
		},
	);

	test("spec: an unknown catalog's error lists the raster catalogs there are", async () => {
		const { sandbox, engine } = await serverOf({ layerTypes: 'spec' });
		try {
			const result = await engine.run(
				tilingWorkflow(uploadParameters('demo.no_such_catalog', { waitForCompletion: false })),
			);
			expect(result.error?.message).toBe("EverGIS has no catalog 'demo.no_such_catalog' [item 0]");
			expect(result.error?.description).toMatch(
				/^Your raster catalogs: demo\.landsat_images, demo\.drone_orthophotos\. /,
			);
		} finally {
			await sandbox.close();
		}
	});
});

describe('answers whose shape no document shows', () => {
	// Red before: the item's error read "… ended Failed: [object Object]".
	test('batch errors that are objects read as text', async () => {
		const { sandbox, engine } = await serverOf({ batchErrors: 'objects' });
		try {
			const result = await engine.run(uploadAndWait({}, 'corrupt.tif', true));
			const [item] = only(result);
			expect(item.error).toMatch(/ended Failed: File 'corrupt[^']*\.tif' is damaged: tile/);
			expect(item.error).not.toContain('[object Object]');
		} finally {
			await sandbox.close();
		}
	});

	test("problem details: EverGIS's JSON 404 is still 'no such task' and 'no such catalog'", async () => {
		const { sandbox, engine } = await serverOf({ errorBody: 'problemDetails' });
		try {
			const task = await engine.run(
				taskWorkflow('getStatus', ['00000000-0000-4000-8000-000000000000']),
			);
			expect(task.error?.message).toBe(
				"EverGIS has no task '00000000-0000-4000-8000-000000000000' [item 0]",
			);
			const catalog = await engine.run(
				tilingWorkflow(uploadParameters('demo.no_such_catalog', { waitForCompletion: false })),
			);
			expect(catalog.error?.message).toBe("EverGIS has no catalog 'demo.no_such_catalog' [item 0]");
		} finally {
			await sandbox.close();
		}
	});

	// Red before: any failure of the catalog check blocked the load.
	test('a catalog check that could not be made does not block the load: a warning says so', async () => {
		const { sandbox, engine } = await serverOf({});
		try {
			sandbox.failNext('layer', '400');
			const logged = capturedLogs.length;
			const result = await engine.run(uploadAndWait());
			const [item] = only(result);
			expect(item).toMatchObject({ status: 'Completed' });
			const hints = (result.run.data.resultData.runData.EverGIS?.[0]?.hints ?? []).map(
				(hint) => hint.message,
			);
			expect(hints).toEqual([
				expect.stringMatching(
					/^Could not check that catalog 'demo\.landsat_images' exists \(EverGIS refused the request .*\): loading anyway/,
				),
			]);
			expect(
				capturedLogs
					.slice(logged)
					.some((line) => line.level === 'warn' && /Could not check/.test(line.message)),
			).toBe(true);
		} finally {
			await sandbox.close();
		}
	});
});

describe('a task that says Unknown', () => {
	// Red before: the first Unknown ended the wait and failed the item.
	test('for a moment (as the SDK says before a task has subtasks): the wait goes on to Completed', async () => {
		const { sandbox, engine, log } = await serverOf({ unknownAnswers: 2 });
		try {
			const [item] = only(await engine.run(uploadAndWait()));
			expect(item).toMatchObject({ status: 'Completed', succeeded: true });
			expect(log.filter((line) => /progress 200/.test(line)).length).toBeGreaterThanOrEqual(3);
		} finally {
			await sandbox.close();
		}
	});

	test('for longer than its grace: the item fails, saying so', async () => {
		const { sandbox, engine } = await serverOf({ unknownAnswers: 1_000_000 });
		const grace = UNKNOWN_GRACE.ms;
		UNKNOWN_GRACE.ms = 300;
		try {
			const failing = await engine.run(uploadAndWait());
			expect(failing.error?.message).toMatch(
				/^Tiling task \S+ ended Unknown: EverGIS said 'Unknown' for 0 minutes and never that the task completed/,
			);
			const [asItem] = only(await engine.run(uploadAndWait({ outputFailedTasks: true })));
			expect(asItem).toMatchObject({ status: 'Unknown', finished: true, failed: true });
		} finally {
			UNKNOWN_GRACE.ms = grace;
			await sandbox.close();
		}
	});
});

describe('the token check meets a route error', () => {
	// Red before the fix: the question "is this the newer API?" waited for the token renewal it ran
	// in, and the run never ended.
	test('the catalog check it was for could not be made: a warning, and the load goes on', async () => {
		const { sandbox, engine, log } = await serverOf({});
		// A stored token without a readable exp: checked first; no first login (nothing asked yet).
		engine.setCredentials('cred-1', {
			...credentialsOf(sandbox),
			token: 'not-a-jwt',
			issuedFor: loginScope(credentialsOf(sandbox)),
		});
		try {
			sandbox.failNext('userInfo', '404');
			const result = await engine.run(uploadAndWait());
			expect(only(result)).toEqual([expect.objectContaining({ status: 'Completed' })]);
			const hints = (result.run.data.resultData.runData.EverGIS?.[0]?.hints ?? []).map(
				(hint) => hint.message,
			);
			expect(hints).toEqual([
				`Could not check that catalog 'demo.landsat_images' exists (EverGIS at ${sandbox.url} does not serve GET /account/demo (HTTP 404, no EverGIS answer) while logging in): loading anyway, EverGIS says at task creation whether it exists`,
			]);
			// Nobody asked which API generation the host speaks.
			expect(log.filter((line) => line.startsWith('GET /sp/scheduler/worker'))).toEqual([]);
		} finally {
			await sandbox.close();
		}
	});
});
