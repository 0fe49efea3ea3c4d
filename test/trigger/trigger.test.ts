import { createServer } from 'node:net';

import { CANCEL_MESSAGE, startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { UNKNOWN_GRACE } from '../../nodes/EverGis/model/statuses';
import { loginScope } from '../../nodes/EverGis/transport/login';
import type { TestEngine, WorkflowSpec } from '../helpers/engine';
import { capturedLogs, TriggerActivationError, waitUntil } from '../helpers/engine';
import { CREDENTIALS } from '../helpers/workflows';
import {
	ALL_TRIGGER_STATUSES,
	countProgress,
	endTask,
	idsOf,
	jsonOf,
	newEngine,
	Poller,
	rememberedIds,
	savedState,
	sleep,
	TaskFactory,
	TRIGGER,
	triggerWorkflow,
} from './support';

// The EverGIS Tiling Trigger run as n8n runs it: activated as n8n's in-memory engine activates a
// poll trigger (one PollContext for every poll of an activation, a first poll at activation whose
// error fails the activation: TestEngine.activate), its polls going through n8n-core's
// TriggersAndPollers against the sandbox; and, where said, as n8n 2.40's durable scheduler runs a
// poll (a context of its own, a time budget: TestEngine.poll). Tasks stay Executing until the test
// ends them (taskDurationMs: null).

let sandbox: Sandbox;
let factory: TaskFactory;
/** Server-side log of the sandbox (for the concurrency test): [time it closed, line]. */
const serverLog: Array<{ at: number; line: string }> = [];
let recordLog = false;

beforeAll(async () => {
	sandbox = await startSandbox({
		taskDurationMs: null,
		latencyMs: 0,
		log: (line) => {
			if (recordLog) serverLog.push({ at: performance.now(), line });
		},
	});
	factory = new TaskFactory(sandbox);
});
afterAll(async () => await sandbox.close());

describe('fires once per task', () => {
	test('tasks ending in different polls each fire once, in the poll after they end', async () => {
		const [a, b, c] = await factory.create(3);
		const spec = triggerWorkflow([a, b, c]);
		const poller = await Poller.start(sandbox);

		let poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(poll.result).toEqual([]);
		expect(poll.progress).toBe(3);

		sandbox.finishTask(a, 'Completed');
		poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(idsOf(poll.result)).toEqual([a]);
		expect(poll.result[0].status).toBe('Completed');

		poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(poll.result).toEqual([]);
		expect(poll.progress).toBe(2);

		sandbox.finishTask(b, 'Failed', 'no space left');
		sandbox.finishTask(c, 'Completed');
		poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(idsOf(poll.result)).toEqual([b, c].sort());

		for (let i = 0; i < 3; i++) {
			poll = await countProgress(sandbox, () => poller.poll(spec));
			expect(poll.result).toEqual([]);
			expect(poll.progress).toBe(0);
		}
		expect(rememberedIds(poller.staticData)).toEqual([a, b, c].sort());
	});

	test('restarts and re-activations in between: saved static data keeps each task to one emission', async () => {
		const [a, b, c, d] = await factory.create(4);
		const spec = triggerWorkflow([a, b, c, d]);
		const poller = await Poller.start(sandbox);
		const emitted: string[] = [];

		sandbox.finishTask(a, 'Completed');
		emitted.push(...idsOf(await poller.poll(spec)));
		expect(emitted).toEqual([a]);

		await poller.restart();
		let poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(poll.result).toEqual([]);
		expect(poll.progress).toBe(3); // a is not asked again after the restart

		sandbox.finishTask(b, 'Interrupted');
		await poller.restart();
		emitted.push(...idsOf(await poller.poll(spec)));
		await poller.restart();
		await poller.restart();
		emitted.push(...idsOf(await poller.poll(spec)));

		sandbox.finishTask(c, 'Timeout');
		sandbox.finishTask(d, 'Completed');
		await poller.restart();
		emitted.push(...idsOf(await poller.poll(spec)));
		await poller.restart();
		poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(poll.result).toEqual([]);
		expect(poll.progress).toBe(0);

		expect(emitted.sort()).toEqual([a, b, c, d].sort());
		// What n8n would store is plain JSON: the ID → status map of ended tasks.
		expect(poller.staticData).toEqual({
			[`node:${TRIGGER}`]: {
				ended: { [a]: 'Completed', [b]: 'Interrupted', [c]: 'Timeout', [d]: 'Completed' },
			},
		});
	});

	test('n8n saves static data only with an emission: a restart from its database re-asks quiet ends but never fires twice', async () => {
		const [a, b, c] = await factory.create(3);
		const spec = triggerWorkflow([a, b, c], { statuses: ['Completed'] });
		const poller = await Poller.start(sandbox);
		sandbox.finishTask(a, 'Completed');
		expect(idsOf(await poller.poll(spec))).toEqual([a]); // emitted: n8n saves the static data
		sandbox.finishTask(b, 'Failed'); // not selected: the poll emits nothing, n8n saves nothing
		expect(await poller.poll(spec)).toEqual([]);
		expect(rememberedIds(poller.staticData)).toEqual([a, b].sort());
		expect(rememberedIds(poller.savedOnEmit)).toEqual([a]);

		await poller.restart('database');
		let poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(poll.result).toEqual([]);
		expect(poll.progress).toBe(2); // b is asked once more (it was only remembered in memory), and c
		sandbox.finishTask(c, 'Completed');
		await poller.restart('database');
		poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(idsOf(poll.result)).toEqual([c]);
		expect(poll.progress).toBe(2);
		await poller.restart('database');
		expect(await poller.poll(spec)).toEqual([]);
	});
});

describe('Task IDs', () => {
	test('commas, spaces, tabs, new lines and semicolons separate IDs; duplicates count once', async () => {
		const [a, b, c, d] = await factory.create(4);
		const typed = `  ${a},${b}\n${c}\t ${d};;${a} ,\n\n${b}\r\n`;
		const spec = triggerWorkflow(typed);
		const poller = await Poller.start(sandbox);
		let poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(poll.result).toEqual([]);
		expect(poll.progress).toBe(4);

		for (const id of [a, b, c, d]) sandbox.finishTask(id, 'Completed');
		poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(idsOf(poll.result)).toEqual([a, b, c, d].sort());
	});

	test('an expression that gives an array of IDs', async () => {
		const [a, b, c] = await factory.create(3);
		const spec = triggerWorkflow(`={{ ${JSON.stringify([a, ` ${b} `, a])} }}`);
		const poller = await Poller.start(sandbox);
		sandbox.finishTask(a, 'Completed');
		sandbox.finishTask(b, 'Failed');
		sandbox.finishTask(c, 'Completed'); // not in the array
		const poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(poll.progress).toBe(2);
		expect(idsOf(poll.result)).toEqual([a, b].sort());
		expect(rememberedIds(poller.staticData)).toEqual([a, b].sort());
	});

	test('an expression that gives a string is split like typed text', async () => {
		const [a, b] = await factory.create(2);
		const spec = triggerWorkflow(`={{ ${JSON.stringify(`${a}\n${b}`)} }}`);
		const poller = await Poller.start(sandbox);
		sandbox.finishTask(a, 'Completed');
		sandbox.finishTask(b, 'Completed');
		expect(idsOf(await poller.poll(spec))).toEqual([a, b].sort());
	});

	test('no IDs at all: the poll fails and says what to fill in', async () => {
		const poller = await Poller.start(sandbox);
		for (const empty of ['', ' \n , ; ', '={{ [] }}']) {
			const error = await poller.failingPoll(triggerWorkflow(empty));
			expect(error.message).toBe('No task IDs to watch');
		}
	});
});

describe('statuses', () => {
	test('by default (Fire On left as it is) every terminal status fires', async () => {
		const ids = await factory.create(ALL_TRIGGER_STATUSES.length);
		const spec = triggerWorkflow(ids); // no `statuses` parameter: the node's default applies
		const poller = await Poller.start(sandbox);
		expect(await poller.poll(spec)).toEqual([]);
		for (const [i, status] of ALL_TRIGGER_STATUSES.entries()) {
			await endTask(sandbox, factory, ids[i], status);
		}
		const items = await poller.poll(spec);
		expect(Object.fromEntries(items.map((item) => [item.taskId, item.status]))).toEqual(
			Object.fromEntries(ids.map((id, i) => [id, ALL_TRIGGER_STATUSES[i]])),
		);
		const canceled = items.find((item) => item.status === 'Canceled');
		expect(canceled?.message).toBe(CANCEL_MESSAGE);
		expect(await poller.poll(spec)).toEqual([]);
	});

	test('only the selected statuses fire; the others end silently and are not asked again', async () => {
		const ids = await factory.create(ALL_TRIGGER_STATUSES.length);
		const spec = triggerWorkflow(ids, { statuses: ['Failed', 'Timeout'] });
		const poller = await Poller.start(sandbox);
		for (const [i, status] of ALL_TRIGGER_STATUSES.entries()) {
			await endTask(sandbox, factory, ids[i], status);
		}
		let poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(poll.progress).toBe(ids.length);
		expect(poll.result.map((item) => item.status).sort()).toEqual(['Failed', 'Timeout']);
		expect(rememberedIds(poller.staticData)).toEqual([...ids].sort());

		poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(poll.result).toEqual([]);
		expect(poll.progress).toBe(0);
	});

	test('each status alone fires only its own tasks', async () => {
		for (const selected of ALL_TRIGGER_STATUSES) {
			const ids = await factory.create(ALL_TRIGGER_STATUSES.length);
			for (const [i, status] of ALL_TRIGGER_STATUSES.entries()) {
				await endTask(sandbox, factory, ids[i], status);
			}
			const poller = await Poller.start(sandbox);
			const items = await poller.poll(triggerWorkflow(ids, { statuses: [selected] }));
			expect(items.map((item) => [item.taskId, item.status])).toEqual([
				[ids[ALL_TRIGGER_STATUSES.indexOf(selected)], selected],
			]);
		}
	});
});

describe('items', () => {
	test('a completed task: taskId, status, taskResult, tilesCreated, seenAt; no info unless asked', async () => {
		const [id] = await factory.create(1);
		const poller = await Poller.start(sandbox);
		const spec = triggerWorkflow([id]);
		expect(await poller.poll(spec)).toEqual([]); // the raster check is done: the catalog gets the tiles
		sandbox.finishTask(id, 'Completed');
		const before = Date.now();
		const poll = await countProgress(sandbox, () => poller.poll(spec));
		const after = Date.now();
		expect(poll.taskInfo).toBe(0);
		expect(poll.result).toHaveLength(1);
		const item = poll.result[0];
		const record = sandbox.tasks().find((task) => task.id === id);
		const raster = sandbox.catalog('demo.landsat_images')?.rasters.find((r) => r.taskId === id);
		expect(raster?.tiles).toBeGreaterThan(0);
		expect(item).toMatchObject({
			taskId: id,
			status: 'Completed',
			message: null,
			tilesCreated: raster?.tiles,
			taskResult: record?.taskResult,
		});
		expect(item.taskResult).toMatchObject({
			message: null,
			inputObjectCount: 1,
			errorCount: 0,
			outputObjectCount: 1,
			stepResults: [expect.objectContaining({ resultDetails: { 'Tiles created': raster?.tiles } })],
		});
		expect(item).not.toHaveProperty('info');
		const seenAt = Date.parse(String(item.seenAt));
		expect(new Date(seenAt).toISOString()).toBe(item.seenAt);
		expect(seenAt).toBeGreaterThanOrEqual(before);
		expect(seenAt).toBeLessThanOrEqual(after);
	});

	test('Include Task Info adds parameters and dates, one request per fired task only', async () => {
		const [done, failed, running] = await factory.create(3);
		const unknown = '00000000-0000-4000-8000-000000000000';
		const poller = await Poller.start(sandbox);
		const spec = triggerWorkflow([done, failed, running, unknown], { includeTaskInfo: true });
		sandbox.finishTask(done, 'Completed');
		sandbox.finishTask(failed, 'Failed', 'disk full');
		const poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(poll.progress).toBe(4);
		expect(poll.taskInfo).toBe(2); // not for the running task, not for the unknown one
		const byId = Object.fromEntries(poll.result.map((item) => [item.taskId, item]));
		expect(Object.keys(byId).sort()).toEqual([done, failed, unknown].sort());
		for (const id of [done, failed]) {
			const record = sandbox.tasks().find((task) => task.id === id);
			expect(byId[id].info).toEqual({
				id,
				owner: 'demo',
				status: record?.status,
				parameters: { type: 'tiling', ...record?.body },
				createdDate: record?.createdAt,
				startedDate: record?.startedAt,
				completedDate: record?.endedAt,
			});
			expect(byId[id].info).toMatchObject({ completedDate: expect.any(String) });
		}
		expect(byId[unknown]).not.toHaveProperty('info');
		expect(byId[failed].message).toBe('disk full');
	});

	test('a task that fails on the server (corrupt.tif): Failed, with the reason in taskResult', async () => {
		sandbox.setOptions({ taskDurationMs: 20 });
		const [id] = await factory.create(1, 'corrupt.tif').finally(() => {
			sandbox.setOptions({ taskDurationMs: null });
		});
		await sleep(40);
		const poller = await Poller.start(sandbox);
		const items = await poller.poll(triggerWorkflow([id]));
		const record = sandbox.tasks().find((task) => task.id === id);
		expect(record?.status).toBe('Failed');
		const reason = record?.taskResult?.message;
		expect(reason).toEqual(expect.stringMatching(/\w/));
		expect(items).toHaveLength(1);
		expect(items[0]).toMatchObject({
			taskId: id,
			status: 'Failed',
			message: reason,
			tilesCreated: null,
			taskResult: {
				message: reason,
				errorCount: 1,
				outputObjectCount: 0,
				stepResults: [expect.objectContaining({ batchErrors: [reason] })],
			},
		});
		expect(await poller.poll(triggerWorkflow([id]))).toEqual([]);
	});
});

describe('tasks the server does not know (404)', () => {
	test('reported once each as NotFound, without blocking the others, and never asked again', async () => {
		const [running, done] = await factory.create(2);
		const [ofAlice] = await new TaskFactory(sandbox, 'alice').create(1);
		const unknown = '11111111-2222-4333-8444-555555555555';
		const spec = triggerWorkflow([running, unknown, done, ofAlice]);
		const poller = await Poller.start(sandbox);
		sandbox.finishTask(done, 'Completed');

		let poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(poll.progress).toBe(4);
		const byId = Object.fromEntries(poll.result.map((item) => [item.taskId, item]));
		expect(Object.keys(byId).sort()).toEqual([done, unknown, ofAlice].sort());
		expect(byId[done].status).toBe('Completed');
		for (const id of [unknown, ofAlice]) {
			expect(byId[id]).toEqual({
				taskId: id,
				status: 'NotFound',
				httpCode: 404,
				message: expect.stringMatching(/does not know this task/),
				seenAt: expect.any(String),
			});
		}

		poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(poll.result).toEqual([]);
		expect(poll.progress).toBe(1);
		await poller.restart();
		sandbox.finishTask(running, 'Completed');
		poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(idsOf(poll.result)).toEqual([running]);
		expect(poll.progress).toBe(1);
	});

	test('a watch list of unknown IDs only: each reported once, then the polls are quiet', async () => {
		const spec = triggerWorkflow('nope-1, nope-2');
		const poller = await Poller.start(sandbox);
		expect((await poller.poll(spec)).map((item) => item.status)).toEqual(['NotFound', 'NotFound']);
		const poll = await countProgress(sandbox, () => poller.poll(spec));
		expect(poll.result).toEqual([]);
		expect(poll.progress).toBe(0);
	});
});

describe('failures', () => {
	test.each(['500', '502', '503', '504', '429', 'html', 'reset'] as const)(
		'a transient failure (%s) skips that task for this poll only',
		async (kind) => {
			const ids = await factory.create(3);
			const spec = triggerWorkflow(ids);
			const poller = await Poller.start(sandbox);
			expect(await poller.poll(spec)).toEqual([]); // logs in, so the fault hits a progress request
			for (const id of ids) sandbox.finishTask(id, 'Completed');

			sandbox.failNext('progress', kind, 1);
			let poll = await countProgress(sandbox, () => poller.poll(spec));
			expect(poll.progress).toBe(3);
			expect(poll.result).toHaveLength(2);
			const skipped = ids.filter((id) => !idsOf(poll.result).includes(id));
			expect(skipped).toHaveLength(1);
			expect(rememberedIds(poller.staticData)).toEqual(idsOf(poll.result));

			poll = await countProgress(sandbox, () => poller.poll(spec));
			expect(poll.progress).toBe(1);
			expect(idsOf(poll.result)).toEqual(skipped);
		},
	);

	test('a task whose request is refused (4xx other than 404) does not block the others', async () => {
		const [done] = await factory.create(1);
		sandbox.finishTask(done, 'Completed');
		const refused = 'x'.repeat(20_000); // Node's HTTP server answers 431 to a 20 kB request line
		const engine = await newEngine(sandbox);
		const result = await engine.poll(triggerWorkflow([done, refused]), TRIGGER, {});
		expect(result.error).toBeUndefined();
		const items = jsonOf(result.items);
		expect(items.map((item) => item.taskId)).toContain(done);
		// The refused task is reported once, on its own, with the server's answer.
		const own = items.find((item) => item.taskId === refused);
		expect(own).toMatchObject({ status: 'Refused', httpCode: 431 });
		expect(String(own?.message).length).toBeLessThan(400);
	});

	test('every task answered 503: an empty poll without error, and the next poll catches up', async () => {
		const ids = await factory.create(3);
		const spec = triggerWorkflow(ids);
		const poller = await Poller.start(sandbox);
		expect(await poller.poll(spec)).toEqual([]);
		for (const id of ids) sandbox.finishTask(id, 'Completed');
		sandbox.failNext('progress', '503', 3);
		expect(await poller.poll(spec)).toEqual([]);
		expect(rememberedIds(poller.staticData)).toEqual([]);
		expect(idsOf(await poller.poll(spec))).toEqual([...ids].sort());
	});

	test.each([
		['nothing listens there', 'closed port', 'nothing accepts connections there'],
		// Regression (issue 24): a host name that did not resolve was a configuration error, so a DNS
		// that did not answer yet while n8n 2.x activated the trigger left the trigger off for good.
		[
			'its name does not resolve (a typo, or no DNS yet)',
			'unknown host',
			'the host name could not be resolved \\(DNS\\); check Host for a typo',
		],
	] as const)(
		'the server cannot be reached at all (%s): the trigger still activates (n8n would leave it off), says so in the log, and fires once the server is back; a manual run reports it',
		async (_label, where, words) => {
			const port = await new Promise<number>((resolve) => {
				const probe = createServer().listen(0, '127.0.0.1', () => {
					const { port: free } = probe.address() as { port: number };
					probe.close(() => resolve(free));
				});
			});
			const host =
				where === 'closed port' ? `http://127.0.0.1:${port}` : 'http://evergis.invalid/sp';
			const [id] = await factory.create(1);
			sandbox.finishTask(id, 'Completed');
			const engine = await newEngine(sandbox);
			const unreachable = { host, username: 'demo', password: 'demo-password' };
			engine.setCredentials(CREDENTIALS.everGisApi.id, unreachable);
			const poller = new Poller(engine, sandbox);
			const logged = capturedLogs.length;
			expect(await poller.poll(triggerWorkflow([id]))).toEqual([]);
			expect(
				capturedLogs
					.slice(logged)
					.map((line) => line.message)
					.join('\n'),
			).toMatch(
				/EverGIS Tiling Trigger: 1 of 1 tasks could not be read now; the next poll asks them again/,
			);
			const manual = await engine.poll(triggerWorkflow([id]), TRIGGER, { mode: 'manual' });
			expect((manual.error as Error).message).toMatch(
				new RegExp(
					`Could not reach EverGIS at ${host.replace(/[.:/]/g, '\\$&')} to log in: ${words}`,
				),
			);

			// The server is back (the credentials point at it): the same activation fires.
			engine.setCredentials(CREDENTIALS.everGisApi.id, { ...unreachable, host: sandbox.url });
			expect(idsOf(await poller.poll(triggerWorkflow([id])))).toEqual([id]);
		},
	);

	test("the login answers a proxy's HTML 502 while n8n activates the trigger: the activation succeeds, and the trigger fires each task once when EverGIS is back", async () => {
		// Regression: an HTML answer to the login was read as "not the EverGIS API" (a wrong Host)
		// before its status; the activation poll threw, and n8n left the trigger off for good.
		const ids = await factory.create(2);
		const engine = await newEngine(sandbox);
		const poller = new Poller(engine, sandbox);
		const spec = triggerWorkflow(ids);
		sandbox.setOptions({ faults: { login: { rate: 1, kinds: ['html'] } } });
		expect(await poller.poll(spec)).toEqual([]);
		expect(sandbox.stats().faults.login).toBeGreaterThan(0);
		sandbox.finishTask(ids[0], 'Completed');
		expect(await poller.poll(spec)).toEqual([]); // still down: no error execution either
		sandbox.setOptions({ faults: {} });
		expect(idsOf(await poller.poll(spec))).toEqual([ids[0]]);
		sandbox.finishTask(ids[1], 'Failed');
		expect(idsOf(await poller.poll(spec))).toEqual([ids[1]]);
		expect(await poller.poll(spec)).toEqual([]);
	}, 60_000);

	test('a wrong password at activation fails the activation at once (the user who activates sees it); one fixed while active heals at the next poll', async () => {
		const [id] = await factory.create(1);
		sandbox.finishTask(id, 'Completed');
		const engine = await newEngine(sandbox, 'not-the-password');
		const activating = await engine
			.activate(triggerWorkflow([id]), TRIGGER)
			.catch((error: unknown) => error);
		expect(activating).toBeInstanceOf(TriggerActivationError);
		expect((activating as Error).message).toMatch(/rejected the login for 'demo'/);

		// Active with good credentials, watching a running task; then the password goes wrong.
		const [running] = await factory.create(1);
		const healthy = await newEngine(sandbox);
		const activation = await healthy.activate(triggerWorkflow([running]), TRIGGER);
		healthy.setCredentials(CREDENTIALS.everGisApi.id, {
			host: sandbox.url,
			username: 'demo',
			password: 'not-the-password',
			token: '',
		});
		expect((await activation.poll()).error).toBeDefined();
		// Regression: the failed login was kept for the whole activation (one context for every
		// poll), so every later poll failed with it even after the password was fixed.
		healthy.setCredentials(CREDENTIALS.everGisApi.id, {
			host: sandbox.url,
			username: 'demo',
			password: 'demo-password',
		});
		sandbox.finishTask(running, 'Completed');
		const healed = await activation.poll();
		expect(healed.error).toBeUndefined();
		expect(jsonOf(healed.items).map((item) => item.taskId)).toEqual([running]);
		expect(activation.errorExecutions).toHaveLength(1);
	});

	test('every request of the poll is cut (after a good login): the server was reached, so an empty poll; the next one catches up', async () => {
		const ids = await factory.create(2);
		const spec = triggerWorkflow(ids);
		const poller = await Poller.start(sandbox);
		expect(await poller.poll(spec)).toEqual([]);
		for (const id of ids) sandbox.finishTask(id, 'Completed');
		sandbox.failNext('progress', 'reset', 2);
		expect(await poller.poll(spec)).toEqual([]);
		expect(idsOf(await poller.poll(spec))).toEqual([...ids].sort());
	});

	test('every request of the poll times out: an empty poll within its time, and the next one catches up', async () => {
		const ids = await factory.create(2);
		const spec = triggerWorkflow(ids);
		const poller = await Poller.start(sandbox);
		expect(await poller.poll(spec)).toEqual([]);
		sandbox.failNext('progress', 'hang', 2);
		const started = Date.now();
		expect(await poller.poll(spec)).toEqual([]);
		expect(Date.now() - started).toBeLessThan(45_000);
		for (const id of ids) sandbox.finishTask(id, 'Completed');
		expect(idsOf(await poller.poll(spec))).toEqual([...ids].sort());
	}, 60_000);

	test('wrong password: the poll fails and says that the login was rejected', async () => {
		const [id] = await factory.create(1);
		const engine = await newEngine(sandbox, 'not-the-password');
		const poller = new Poller(engine, sandbox);
		const error = await poller.failingPoll(triggerWorkflow([id]));
		expect(error.message).toMatch(/rejected the login/);
		expect(error.message).toContain("'demo'");
		expect(JSON.stringify({ ...error, message: error.message })).not.toContain('not-the-password');
	});
});

describe('a slow EverGIS: each poll keeps to its budget, and polls never overlap', () => {
	// The durable scheduler's polls (TestEngine.poll) with N8N_SCHEDULER_POLL_TIMEOUT 3 s: a budget
	// of 1.5 s, and n8n stops waiting for a poll at 3 s.
	const POLL_TIMEOUT_MS = 3_000;
	const BUDGET_MS = 1_500;

	/** A poll under the scheduler, timed: it must return before n8n would give up on it. */
	async function timedPoll(engine: TestEngine, spec: WorkflowSpec, staticData: IDataObject = {}) {
		const started = Date.now();
		const result = await engine.poll(spec, TRIGGER, { staticData, pollTimeoutMs: POLL_TIMEOUT_MS });
		expect(result.abandoned).toBe(false);
		expect(result.error).toBeUndefined();
		return { ...result, tookMs: Date.now() - started };
	}

	async function loggedInEngine(): Promise<TestEngine> {
		const engine = await newEngine(sandbox);
		const [any] = await factory.create(1);
		await engine.poll(triggerWorkflow([any]), TRIGGER, { mode: 'manual' });
		return engine;
	}

	test('answers that take almost the whole budget: the poll returns at its budget, and no task fires twice', async () => {
		// Regression (issue 24): each request's timeout was fixed when it was called, not when it was
		// sent, so the requests that got a slot after the first answers (at 1.4 s) waited 1.5 s more:
		// the poll took 2.9 s of its 1.5 s.
		const ids = await factory.create(12);
		for (const id of ids) sandbox.finishTask(id, 'Completed');
		const engine = await loggedInEngine();
		const spec = triggerWorkflow(ids);
		sandbox.setOptions({ latencyMs: 1_400 });
		let first;
		try {
			first = await timedPoll(engine, spec);
		} finally {
			sandbox.setOptions({ latencyMs: 0 });
		}
		expect(first.tookMs).toBeLessThan(BUDGET_MS + 700);
		const second = await timedPoll(engine, spec, first.staticData);
		const fired = [...jsonOf(first.items), ...jsonOf(second.items)].map((item) => item.taskId);
		expect([...fired].sort()).toEqual([...ids].sort());
	});

	test.each([
		// Regression: the check before a poll's requests (GET /account/{user}, when no good token is
		// stored) had no timeout of its own (60 s) and no deadline: the poll outlived its budget.
		["the token check's request", 'userInfo'],
		// Regression: the login (the credentials' preAuthentication, which n8n runs and the node cannot
		// give a timeout) waited out its own 30 s, and the poll with it. The poll now stops waiting at
		// its deadline and goes on with what was answered by then (nothing, here).
		['the login n8n runs for the poll', 'login'],
	] as const)(
		'%s never answers: the poll returns at its budget, and the next one fires',
		async (_label, route) => {
			const [id] = await factory.create(1);
			sandbox.finishTask(id, 'Completed');
			const engine = await newEngine(sandbox);
			sandbox.failNext(route, 'hang');
			const stalled = await timedPoll(engine, triggerWorkflow([id]));
			expect(stalled.items).toBeNull();
			expect(stalled.tookMs).toBeLessThan(BUDGET_MS + 1_500);
			expect(jsonOf((await timedPoll(engine, triggerWorkflow([id]))).items)).toEqual([
				expect.objectContaining({ taskId: id, status: 'Completed' }),
			]);
		},
	);

	test('the stored token ends after the budget: an empty poll, not an error execution that says "canceled"', async () => {
		// Regression (review N10): a token in its last moments is let run out first; when the poll's
		// time ran out during that pause, the pause said "The execution was canceled", the error had no
		// facts, and the poll threw it: an error execution.
		const [id] = await factory.create(1);
		const engine = await newEngine(sandbox);
		const credentials = { host: sandbox.url, username: 'demo', password: 'demo-password' };
		const now = Date.now();
		const claims = {
			sub: 'demo',
			iat: Math.floor(now / 1000) - 100,
			exp: Math.floor((now + 1_999) / 1000),
		};
		const jwt = ['{"alg":"HS256","typ":"JWT"}', JSON.stringify(claims), 'signature']
			.map((part) => Buffer.from(part).toString('base64url'))
			.join('.');
		engine.setCredentials(CREDENTIALS.everGisApi.id, {
			...credentials,
			token: jwt,
			issuedFor: loginScope(credentials),
		});
		// Budget 0.5 s: the token (1 to 2 s left, inside its 2-s renewal margin) outlives it.
		const result = await engine.poll(triggerWorkflow([id]), TRIGGER, { pollTimeoutMs: 1_000 });
		expect(result.error).toBeUndefined();
		expect(result.items).toBeNull();
		expect(result.abandoned).toBe(false);
	});

	test('a poll cut short by its budget: the next poll asks first what it could not read, and each task fires once', async () => {
		// Tasks 0 and 1 run on; the others have ended. The first poll reads tasks 0 to 3 (the request
		// limit starts at 4), then EverGIS stops answering (4 to 7 hang) and 8 to 11 wait for a slot
		// when the budget ends: it fires 2 and 3, and the next poll starts at task 4.
		const ids = await factory.create(12);
		for (const id of ids.slice(2)) sandbox.finishTask(id, 'Completed');
		const engine = await loggedInEngine();
		const spec = triggerWorkflow(ids);
		sandbox.failNext('progress', 'hang', 4, 4);
		const first = await timedPoll(engine, spec);
		expect(idsOf(jsonOf(first.items))).toEqual(
			idsOf(ids.slice(2, 4).map((taskId) => ({ taskId }))),
		);
		expect(first.tookMs).toBeLessThan(BUDGET_MS + 1_500);

		// The next poll, answers 50 ms apart so that the order they were asked in shows.
		serverLog.length = 0;
		recordLog = true;
		sandbox.setOptions({ latencyMs: 50 });
		let second;
		try {
			second = await timedPoll(engine, spec, first.staticData);
		} finally {
			recordLog = false;
			sandbox.setOptions({ latencyMs: 0 });
		}
		const asked = serverLog
			.map(({ at, line }) => ({
				at,
				match: /^GET \S+\/tasks\/([^/]+)\/progress 200 (\d+)ms/.exec(line),
			}))
			.filter(({ match }) => match !== null)
			.map(({ at, match }) => ({ id: match![1], start: at - Number(match![2]) }))
			.sort((a, b) => a.start - b.start)
			.map(({ id }) => id);
		expect(asked).toHaveLength(10);
		expect(new Set(asked.slice(0, 4))).toEqual(new Set(ids.slice(4, 8)));
		expect(new Set(asked.slice(-2))).toEqual(new Set(ids.slice(0, 2)));
		expect(idsOf(jsonOf(second.items))).toEqual(idsOf(ids.slice(4).map((taskId) => ({ taskId }))));
	});

	test.each([
		['the in-memory engine: the next tick of one activation', 'activation'],
		["n8n 2.40's durable scheduler: the next poll task while the last one still runs", 'scheduler'],
	] as const)('%s asks nothing, and the task fires once', async (_label, how) => {
		// Regression (issue 24): n8n starts a poll at every tick whether the last has ended or not;
		// both polls read the ended tasks at their start, and both fired the task.
		const [id] = await factory.create(1);
		const spec = triggerWorkflow([id]);
		const engine = await newEngine(sandbox);
		let poll: () => Promise<{ items: INodeExecutionData[][] | null; error?: unknown }>;
		if (how === 'activation') {
			const activation = await engine.activate(spec, TRIGGER);
			poll = async () => await activation.poll();
		} else {
			await engine.poll(spec, TRIGGER);
			poll = async () => await engine.poll(spec, TRIGGER);
		}
		sandbox.finishTask(id, 'Completed');
		const asked = () => sandbox.stats().requests.progress;
		const before = asked();
		sandbox.setOptions({ latencyMs: 60_000 }); // every answer waits until this is set back
		try {
			const first = poll();
			await waitUntil(() => asked() > before);
			const logged = capturedLogs.length;
			const second = await poll();
			expect(second.items).toBeNull();
			expect(second.error).toBeUndefined();
			expect(asked()).toBe(before + 1);
			expect(capturedLogs.slice(logged).map((line) => line.message)).toContain(
				'EverGIS Tiling Trigger: another poll of this trigger is still under way; this poll asks nothing (that poll fires what has ended)',
			);
			sandbox.setOptions({ latencyMs: 0 });
			expect(jsonOf((await first).items).map((item) => item.taskId)).toEqual([id]);
		} finally {
			sandbox.setOptions({ latencyMs: 0 });
		}
	});
});

describe('manual mode (Fetch Test Event)', () => {
	test('shows every watched task as it is now and leaves the saved state alone', async () => {
		const [running, emitted, ended] = await factory.create(3);
		const unknown = 'no-such-task';
		const spec = triggerWorkflow([running, emitted, ended, unknown], { statuses: ['Completed'] });
		const poller = await Poller.start(sandbox);

		// Nothing saved yet: manual shows all four, including the running one.
		let items = await poller.manual(spec);
		expect(Object.fromEntries(items.map((item) => [item.taskId, item.status]))).toEqual({
			[running]: 'Executing',
			[emitted]: 'Executing',
			[ended]: 'Executing',
			[unknown]: 'NotFound',
		});
		expect(rememberedIds(poller.staticData)).toEqual([]);

		sandbox.finishTask(emitted, 'Completed');
		expect(idsOf(await poller.poll(spec))).toEqual([emitted, unknown].sort());
		sandbox.finishTask(ended, 'Completed');

		const poll = await countProgress(sandbox, () => poller.manual(spec));
		expect(poll.progress).toBe(4); // manual asks about every watched task
		items = poll.result;
		expect(Object.fromEntries(items.map((item) => [item.taskId, item.status]))).toEqual({
			[running]: 'Executing',
			[emitted]: 'Completed',
			[ended]: 'Completed',
			[unknown]: 'NotFound',
		});
		// Manual mode did not take the emission of `ended` away from the active trigger.
		expect(idsOf(await poller.poll(spec))).toEqual([ended]);
		expect(await poller.poll(spec)).toEqual([]);
		expect((await poller.manual(spec)).length).toBe(4);
	});

	test('manual mode through the engine returns the same static data it was given', async () => {
		const [id] = await factory.create(1);
		sandbox.finishTask(id, 'Completed');
		const engine = await newEngine(sandbox);
		const staticData = { [`node:${TRIGGER}`]: { ended: { gone: 'Completed' } } };
		const result = await engine.poll(triggerWorkflow([id]), TRIGGER, {
			staticData,
			mode: 'manual',
		});
		expect(result.error).toBeUndefined();
		expect(jsonOf(result.items).map((item) => item.taskId)).toEqual([id]);
		expect(savedState(result.staticData)).toEqual({ gone: 'Completed' });
	});
});

describe('token renewal', () => {
	// The token lives 3 s, so a poll has 2.7 s of it left after its login (the renewal margin is a
	// tenth of the lifetime): with 1 s (before) a poll that a loaded machine slowed past 0.9 s met the
	// margin in flight and logged in twice.
	test('the token expires between polls: the next poll succeeds with exactly one more login', async () => {
		sandbox.setOptions({ tokenLifetimeMs: 3000 });
		try {
			const ids = await factory.create(12);
			const spec = triggerWorkflow(ids);
			const poller = await Poller.start(sandbox);
			let poll = await countProgress(sandbox, () => poller.poll(spec));
			expect(poll.logins).toBe(1); // a fresh engine: no token stored yet
			expect(poll.progress).toBe(12);

			for (let round = 0; round < 2; round++) {
				await sleep(3100);
				sandbox.finishTask(ids[round], 'Completed');
				poll = await countProgress(sandbox, () => poller.poll(spec));
				expect(poll.result.map((item) => item.taskId)).toEqual([ids[round]]);
				expect(poll.progress).toBe(12 - round);
				expect(poll.logins).toBe(1);
			}
		} finally {
			sandbox.setOptions({ tokenLifetimeMs: 600_000 });
		}
	});

	test('a token that expires while the requests of a poll are in flight is renewed once', async () => {
		// The token lives 10 s: it is renewed 1 s before its exp (model/jwt.ts renewalMarginMs).
		sandbox.setOptions({ tokenLifetimeMs: 10_000 });
		try {
			const ids = await factory.create(8);
			const spec = triggerWorkflow(ids);
			const poller = await Poller.start(sandbox);
			await poller.poll(spec); // logs in
			const token = String(poller.engine.credentials.read(CREDENTIALS.everGisApi.id)?.token);
			const { exp } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as {
				exp: number;
			};
			// The poll starts 1.5 s before the exp, half a second before the renewal margin, and the
			// server takes 300 ms per request: the token is still good when the requests reach it,
			// with a second to spare for a loaded machine. Started later (a slow machine), the poll lets
			// the token run out and logs in once before its requests. (With 0.7 s and 500 ms before,
			// 200 ms to spare, a loaded run saw four requests refused and sent again.)
			await sleep(exp * 1000 - Date.now() - 1_500);
			sandbox.setOptions({ latencyMs: 300 });
			const poll = await countProgress(sandbox, () => poller.poll(spec));
			// One request per task, and at most one login for all of them; never a login per request.
			expect(poll.progress).toBe(8);
			expect(poll.logins).toBeLessThanOrEqual(1);
		} finally {
			sandbox.setOptions({ tokenLifetimeMs: 600_000, latencyMs: 0 });
		}
	});

	test('a token still good is reused: no login at all in the next polls', async () => {
		const ids = await factory.create(10);
		const spec = triggerWorkflow(ids);
		const poller = await Poller.start(sandbox);
		expect((await countProgress(sandbox, () => poller.poll(spec))).logins).toBe(1);
		for (let i = 0; i < 3; i++) {
			const poll = await countProgress(sandbox, () => poller.poll(spec));
			expect(poll.logins).toBe(0);
			expect(poll.progress).toBe(10);
		}
	});
});

describe('requests per poll', () => {
	test('one progress request per task still running, none for ended or unknown ones', async () => {
		const ids = await factory.create(20);
		const spec = triggerWorkflow([...ids, 'unknown-a', 'unknown-b']);
		const poller = await Poller.start(sandbox);
		const expected: number[] = [];
		const seen: number[] = [];
		let running = ids.length;
		let unknownAsked = 2;
		for (const batch of [0, 5, 0, 1, 7, 0, 7, 0]) {
			const still = ids.filter(
				(id) => sandbox.tasks().find((t) => t.id === id)?.status === 'Executing',
			);
			for (const id of still.slice(0, batch)) sandbox.finishTask(id, 'Completed');
			const poll = await countProgress(sandbox, () => poller.poll(spec));
			expected.push(running + unknownAsked);
			seen.push(poll.progress);
			expect(poll.result.filter((item) => item.status === 'Completed')).toHaveLength(batch);
			running -= batch;
			unknownAsked = 0;
		}
		expect(seen).toEqual(expected);
		expect(seen).toEqual([22, 20, 15, 15, 14, 7, 7, 0]);
	});

	test('at most 8 requests at a time, and more than one', async () => {
		const ids = await factory.create(24);
		const spec = triggerWorkflow(ids);
		const poller = await Poller.start(sandbox);
		await poller.poll(spec); // the login is out of the way
		sandbox.setOptions({ latencyMs: 30 });
		serverLog.length = 0;
		recordLog = true;
		try {
			await poller.poll(spec);
		} finally {
			recordLog = false;
			sandbox.setOptions({ latencyMs: 0 });
		}
		const intervals = serverLog
			.map(({ at, line }) => ({ at, match: /^GET \S+\/progress 200 (\d+)ms/.exec(line) }))
			.filter(({ match }) => match !== null)
			.map(({ at, match }) => ({ start: at - Number(match?.[1]), end: at }));
		expect(intervals).toHaveLength(24);
		// The most requests open at one moment (ends and starts a millisecond apart do not overlap).
		const inFlight = intervals.map(
			(one) =>
				intervals.filter((other) => other.start < one.start + 2 && other.end > one.start + 2)
					.length,
		);
		const peak = Math.max(...inFlight);
		expect(peak).toBeLessThanOrEqual(8);
		expect(peak).toBeGreaterThan(1);
	});
});

describe('the watch list changes', () => {
	test('removed tasks leave the saved state; added ones are watched; nothing is asked twice', async () => {
		const [a, b, c, d] = await factory.create(4);
		const poller = await Poller.start(sandbox);
		for (const id of [a, b, c]) sandbox.finishTask(id, 'Completed');
		expect(idsOf(await poller.poll(triggerWorkflow([a, b, c])))).toEqual([a, b, c].sort());
		expect(rememberedIds(poller.staticData)).toEqual([a, b, c].sort());

		// b leaves the list, d joins it: the state forgets b even though nothing fires.
		const poll = await countProgress(sandbox, () => poller.poll(triggerWorkflow([a, c, d])));
		expect(poll.result).toEqual([]);
		expect(poll.progress).toBe(1);
		expect(rememberedIds(poller.staticData)).toEqual([a, c].sort());

		// Everything leaves the list but d, which ends.
		sandbox.finishTask(d, 'Completed');
		expect(idsOf(await poller.poll(triggerWorkflow([d])))).toEqual([d]);
		expect(rememberedIds(poller.staticData)).toEqual([d]);
	});

	test('a task that was removed and added again fires again (the state forgot it, as specified)', async () => {
		// Bounded state means that a re-added ID is a new watch. Pinned here so that a change is seen.
		const [a, b] = await factory.create(2);
		const poller = await Poller.start(sandbox);
		sandbox.finishTask(a, 'Completed');
		expect(idsOf(await poller.poll(triggerWorkflow([a, b])))).toEqual([a]);
		expect(await poller.poll(triggerWorkflow([b]))).toEqual([]);
		expect(idsOf(await poller.poll(triggerWorkflow([a, b])))).toEqual([a]);
	});
});

// The docs give the progress and task-info paths two ways (docs/evergis-api.md); a sandbox of each
// dialect serves one of them strictly, and the newer API generation neither.
describe.each([['tiling-page'], ['reference-page']] as const)(
	'a server that reads the docs as the %s',
	(dialect) => {
		let server: Sandbox;
		let tasks: TaskFactory;
		beforeAll(async () => {
			server = await startSandbox({ taskDurationMs: null, dialect });
			tasks = new TaskFactory(server);
		});
		afterAll(async () => await server.close());

		// Red before for the reference page: each task was reported NotFound at the first poll and dropped.
		test('each task fires once when it ends, with its info; an unknown ID is NotFound', async () => {
			const [a, b] = await tasks.create(2);
			const unknown = '00000000-0000-4000-8000-000000000000';
			const spec = triggerWorkflow([a, b, unknown], { includeTaskInfo: true });
			const poller = await Poller.start(server);
			expect((await poller.poll(spec)).map((item) => [item.taskId, item.status])).toEqual([
				[unknown, 'NotFound'],
			]);
			server.finishTask(a, 'Completed');
			const fired = await poller.poll(spec);
			expect(fired.map((item) => [item.taskId, item.status])).toEqual([[a, 'Completed']]);
			expect(fired[0].info).toMatchObject({ id: a, owner: 'demo', status: 'Completed' });
			server.finishTask(b, 'Failed', 'disk full');
			expect(
				(await poller.poll(spec)).map((item) => [item.taskId, item.status, item.message]),
			).toEqual([[b, 'Failed', 'disk full']]);
			expect(await poller.poll(spec)).toEqual([]);
		});
	},
);

describe('a host nothing is known of yet, while its login fails', () => {
	// Red before the same run's waiters failed with their finder: the first task's request found out
	// the host's reading alone, its login failed, and the others then logged in once more.
	test('a poll over three tasks logs in once, and says all three could not be read', async () => {
		const server = await startSandbox({ taskDurationMs: null });
		try {
			const ids = await new TaskFactory(server).create(3);
			server.failNext('login', 'html', 5);
			const poller = await Poller.start(server);
			const logged = capturedLogs.length;
			const poll = await countProgress(server, () => poller.poll(triggerWorkflow(ids)));
			expect(poll.result).toEqual([]);
			expect(server.stats().requests.login).toBe(2); // the TaskFactory's, and the poll's one
			expect(capturedLogs.slice(logged).map((line) => line.message)).toContainEqual(
				'EverGIS Tiling Trigger: 3 of 3 tasks could not be read now; the next poll asks them again',
			);
		} finally {
			await server.close();
		}
	});
});

describe('a server that serves neither reading, or speaks the newer API', () => {
	// Red before: the first poll reported every task NotFound and never asked it again.
	test('neither path served (not the newer API): the poll fails naming both; the task is kept', async () => {
		const server = await startSandbox({ taskDurationMs: null });
		try {
			const [a] = await new TaskFactory(server).create(1);
			const spec = triggerWorkflow([a]);
			const poller = await Poller.start(server);
			// The first poll logs in; the credentials' first login asks: not the newer API.
			expect(await poller.poll(spec)).toEqual([]);
			server.setOptions({ dialect: 'newer' });
			// Should it ask again, its spec-only request is refused too (a JSON 400): not the newer API.
			server.failNext('newerApi', '400');
			const error = await poller.failingPoll(spec);
			expect(error.message).toBe(
				`EverGIS at ${server.url} serves neither GET /scheduler/tasks/${a}/progress (the tiling page's path) nor GET /scheduler/${a}/progress (the scheduler reference page's) while reading the progress of task ${a}`,
			);
			server.setOptions({ dialect: 'tiling-page' });
			server.finishTask(a, 'Completed');
			expect((await poller.poll(spec)).map((item) => [item.taskId, item.status])).toEqual([
				[a, 'Completed'],
			]);
		} finally {
			await server.close();
		}
	});

	test('the newer API: the activation fails with the sentence that says so; nothing is NotFound', async () => {
		const server = await startSandbox({ taskDurationMs: null });
		try {
			const [a] = await new TaskFactory(server).create(1);
			server.setOptions({ dialect: 'newer' });
			const poller = await Poller.start(server);
			const error = await poller.failingPoll(triggerWorkflow([a]));
			expect(error.message).toBe(
				`The EverGIS API at ${server.url} is the newer generation (task prototypes and file resources), which has no tiling task this package can use`,
			);
			expect(rememberedIds(poller.staticData)).toEqual([]);
		} finally {
			await server.close();
		}
	});
});

describe('a task that says Unknown', () => {
	// Red before: the first Unknown counted as an end: the task was never asked again, and its real
	// end never fired.
	test('for a moment: nothing fires; its real end fires once', async () => {
		const server = await startSandbox({ taskDurationMs: null, unknownAnswers: 1 });
		try {
			const [a] = await new TaskFactory(server).create(1);
			const spec = triggerWorkflow([a]);
			const poller = await Poller.start(server);
			expect(await poller.poll(spec)).toEqual([]);
			expect(poller.staticData[`node:${TRIGGER}`]).toMatchObject({
				unknownSince: { [a]: expect.any(String) },
			});
			server.finishTask(a, 'Completed');
			expect((await poller.poll(spec)).map((item) => [item.taskId, item.status])).toEqual([
				[a, 'Completed'],
			]);
			expect(poller.staticData[`node:${TRIGGER}`]).not.toHaveProperty('unknownSince');
		} finally {
			await server.close();
		}
	});

	test('past its grace, from the first poll that saw it: it has ended Unknown, fired if chosen', async () => {
		const server = await startSandbox({ taskDurationMs: null });
		const grace = UNKNOWN_GRACE.ms;
		UNKNOWN_GRACE.ms = 50;
		try {
			const [a, b] = await new TaskFactory(server).create(2);
			server.finishTask(a, 'Unknown');
			server.finishTask(b, 'Unknown');
			const all = triggerWorkflow([a]);
			const notUnknown = triggerWorkflow([b], { statuses: ['Completed', 'Failed'] });
			const poller = await Poller.start(server);
			const other = await Poller.start(server);
			expect(await poller.poll(all)).toEqual([]);
			expect(await other.poll(notUnknown)).toEqual([]);
			await sleep(60);
			const fired = await poller.poll(all);
			expect(fired).toEqual([
				expect.objectContaining({ taskId: a, status: 'Unknown', finished: true, failed: true }),
			]);
			expect(await other.poll(notUnknown)).toEqual([]);
			// Both have ended: neither is asked again.
			const next = await countProgress(server, async () => [
				await poller.poll(all),
				await other.poll(notUnknown),
			]);
			expect(next.progress).toBe(0);
			expect(rememberedIds(other.staticData)).toEqual([b]);
		} finally {
			UNKNOWN_GRACE.ms = grace;
			await server.close();
		}
	});
});
