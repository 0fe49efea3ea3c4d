import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { OptionError, startSandbox } from '../../sandbox';
import { describe as describeSandbox, readCliConfig } from '../../sandbox/cli-config';
import { docsTilingBody, raster, sleep } from './helpers/client';
import { buildCli, spawnCli, type SpawnedSandbox } from './helpers/spawn';

// The CLI (`npm run sandbox`): knobs from the environment, the stats file, /__sandbox control.

describe('CLI configuration', () => {
	test('environment variables and arguments become options', () => {
		const log = jest.fn();
		const { options, help } = readCliConfig(
			{
				EVERGIS_SANDBOX_PORT: '9001',
				EVERGIS_SANDBOX_TOKEN_LIFETIME_MS: '2000',
				EVERGIS_SANDBOX_LATENCY_MS: '25',
				EVERGIS_SANDBOX_LATENCY_PER_ACTIVE_REQUEST_MS: '4',
				EVERGIS_SANDBOX_MAX_ACTIVE_REQUESTS: '0',
				EVERGIS_SANDBOX_RENAME_UPLOADS: '1',
				EVERGIS_SANDBOX_TASK_DURATION_MS: 'null',
				EVERGIS_SANDBOX_TASK_TIMEOUT_MS: '5000',
				EVERGIS_SANDBOX_FILES_TIED_TO_SESSION: '1',
				EVERGIS_SANDBOX_FAULTS: '{"upload":{"rate":0.25,"kinds":["502","reset"]}}',
				EVERGIS_SANDBOX_MAX_UPLOAD_BYTES: '1048576',
				EVERGIS_SANDBOX_SEED: '9',
				EVERGIS_SANDBOX_LOG: '1',
				EVERGIS_SANDBOX_STATS_FILE: '/tmp/from-env.json',
			},
			['--stats-file', '/tmp/from-arg.json'],
			log,
		);
		expect(help).toBe(false);
		expect(options).toEqual({
			port: 9001,
			tokenLifetimeMs: 2000,
			latencyMs: 25,
			latencyPerActiveRequestMs: 4,
			maxActiveRequests: 0,
			renameUploads: true,
			taskDurationMs: null,
			taskTimeoutMs: 5000,
			filesTiedToSession: true,
			faults: { upload: { rate: 0.25, kinds: ['502', 'reset'] } },
			maxUploadBytes: 1048576,
			seed: 9,
			log,
			statsFile: '/tmp/from-arg.json',
		});
		expect(readCliConfig({}, []).options).toEqual({ port: 8765 });
		expect(readCliConfig({}, ['--stats-file=/tmp/s.json', '--port', '0']).options).toEqual({
			port: 0,
			statsFile: '/tmp/s.json',
		});
		expect(
			readCliConfig(
				{
					EVERGIS_SANDBOX_DIALECT: 'newer',
					EVERGIS_SANDBOX_LAYER_TYPES: 'spec',
					EVERGIS_SANDBOX_BATCH_ERRORS: 'objects',
					EVERGIS_SANDBOX_ERROR_BODY: 'problemDetails',
					EVERGIS_SANDBOX_UNKNOWN_ANSWERS: '2',
				},
				['--dialect', 'reference-page'],
			).options,
		).toEqual({
			port: 8765,
			dialect: 'reference-page',
			layerTypes: 'spec',
			batchErrors: 'objects',
			errorBody: 'problemDetails',
			unknownAnswers: 2,
		});
		expect(readCliConfig({ EVERGIS_SANDBOX_LOG: '0' }, []).options.log).toBeUndefined();
		expect(readCliConfig({}, ['--help']).help).toBe(true);
	});

	test('bad knobs are named', () => {
		const bad: Array<[Record<string, string>, string[], RegExp]> = [
			[{ EVERGIS_SANDBOX_PORT: 'eighty' }, [], /EVERGIS_SANDBOX_PORT must be a number/],
			[{ EVERGIS_SANDBOX_LATENCY_MS: '-5' }, [], /latencyMs must be a non-negative number/],
			[
				{ EVERGIS_SANDBOX_MAX_ACTIVE_REQUESTS: '2.5' },
				[],
				/maxActiveRequests must be a non-negative integer/,
			],
			[{ EVERGIS_SANDBOX_RENAME_UPLOADS: 'maybe' }, [], /RENAME_UPLOADS must be 1 or 0/],
			[{ EVERGIS_SANDBOX_FAULTS: '{nope' }, [], /EVERGIS_SANDBOX_FAULTS is not JSON/],
			[
				{ EVERGIS_SANDBOX_FAULTS: '{"uplaod":{"rate":1,"kinds":["500"]}}' },
				[],
				/unknown route 'uplaod'/,
			],
			[
				{ EVERGIS_SANDBOX_FAULTS: '{"upload":{"rate":2,"kinds":["500"]}}' },
				[],
				/rate must be a number from 0 to 1/,
			],
			[
				{ EVERGIS_SANDBOX_FAULTS: '{"upload":{"rate":1,"kinds":["501"]}}' },
				[],
				/kinds must be a non-empty list/,
			],
			[
				{ EVERGIS_SANDBOX_FILES_TIED_TO_SESSION: 'maybe' },
				[],
				/FILES_TIED_TO_SESSION must be 1 or 0/,
			],
			[{}, ['--stats-file'], /--stats-file needs a value/],
			[{}, ['--dialect', 'rfc'], /dialect must be one of tiling-page, reference-page, newer/],
			[{ EVERGIS_SANDBOX_LAYER_TYPES: 'both' }, [], /layerTypes must be one of docs, spec/],
			[{}, ['--verbose'], /unknown argument '--verbose'/],
		];
		for (const [env, args, message] of bad) {
			expect(() => readCliConfig(env, args)).toThrow(OptionError);
			expect(() => readCliConfig(env, args)).toThrow(message);
		}
	});

	test('the printed description starts with the URL and names the demo login', async () => {
		const sb = await startSandbox({ latencyMs: 5 });
		try {
			const lines = describeSandbox(sb);
			expect(lines[0]).toBe(`EverGIS sandbox: ${sb.url}`);
			expect(lines.join('\n')).toMatch(/user "demo", password "demo-password"/);
			expect(lines.join('\n')).toMatch(/"latencyMs":5/);
			expect(lines.join('\n')).toMatch(/"maxActiveRequests":20/);
		} finally {
			await sb.close();
		}
	});
});

describe('CLI process', () => {
	const built = buildCli('.sandbox-test-cli');
	let dir: string;
	let child: SpawnedSandbox | undefined;

	beforeAll(() => {
		dir = mkdtempSync(join(tmpdir(), 'evergis-cli-'));
	});
	afterEach(async () => {
		await child?.stop('SIGKILL');
		child = undefined;
	});
	afterAll(() => {
		built.remove();
		rmSync(dir, { recursive: true, force: true });
	});

	const readStats = (path: string) =>
		JSON.parse(readFileSync(path, 'utf8')) as {
			stats: {
				logins: number;
				uploadsStored: number;
				tasksCreated: number;
				requests: Record<string, number>;
			};
			tasks: Array<{ id: string; status: string }>;
			uploads: Array<{ fileId: string }>;
		};

	async function waitFor<T>(what: string, get: () => T | undefined, timeoutMs = 5000): Promise<T> {
		const until = Date.now() + timeoutMs;
		for (;;) {
			const v = get();
			if (v !== undefined) return v;
			if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
			await sleep(20);
		}
	}

	test('stats file, /__sandbox endpoints, log lines, clean SIGTERM', async () => {
		const statsFile = join(dir, 'stats.json');
		child = await spawnCli(
			built.cli,
			{ EVERGIS_SANDBOX_TASK_DURATION_MS: '300', EVERGIS_SANDBOX_LOG: '1' },
			['--stats-file', statsFile],
		);
		const { url, origin } = child;
		expect(child.output()).toMatch(/user "demo", password "demo-password"/);
		expect(readStats(statsFile).stats.logins).toBe(0);

		const login = await fetch(`${url}/account/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ username: 'demo', password: 'demo-password' }),
		});
		const { token } = (await login.json()) as { token: string };
		// Written before the answer: the count is there as soon as the client has its answer.
		expect(readStats(statsFile).stats.logins).toBe(1);
		const auth = { authorization: `Bearer ${token}` };

		const form = new FormData();
		form.append('file', new Blob([raster('float32.tif')]), 'landsat_test_image.tif');
		expect(
			(await fetch(`${url}/upload/file`, { method: 'POST', headers: auth, body: form })).status,
		).toBe(200);
		expect(readStats(statsFile).stats.uploadsStored).toBe(1);
		expect(readStats(statsFile).uploads.map((u) => u.fileId)).toEqual(['landsat_test_image.tif']);

		const created = await fetch(`${url}/scheduler/tasks?type=tiling`, {
			method: 'POST',
			headers: { ...auth, 'content-type': 'application/json' },
			body: JSON.stringify(docsTilingBody()),
		});
		const { taskId } = (await created.json()) as { taskId: string };
		expect(readStats(statsFile).stats.tasksCreated).toBe(1);
		// The task ends by the clock; the file follows without any request.
		await waitFor('Completed in the stats file', () =>
			readStats(statsFile).tasks.find((t) => t.id === taskId && t.status === 'Completed'),
		);

		const viaHttp = (await (await fetch(`${origin}/__sandbox/stats`)).json()) as ReturnType<
			typeof readStats
		>;
		expect(viaHttp).toEqual(readStats(statsFile));
		expect(viaHttp.stats.requests).toMatchObject({ login: 1, upload: 1, createTask: 1 });

		// Knobs at run time.
		const patch = await fetch(`${origin}/__sandbox/options`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ taskDurationMs: null, latencyMs: 30 }),
		});
		expect(patch.status).toBe(200);
		expect(await patch.json()).toMatchObject({
			taskDurationMs: null,
			latencyMs: 30,
			users: ['demo', 'alice'],
		});
		const badPatch = await fetch(`${origin}/__sandbox/options`, {
			method: 'POST',
			body: JSON.stringify({ latencyMs: 'slow' }),
		});
		expect(badPatch.status).toBe(400);
		expect(((await badPatch.json()) as { message: string }).message).toMatch(/latencyMs/);
		const fixed = await fetch(`${origin}/__sandbox/options`, {
			method: 'POST',
			body: '{"port":1}',
		});
		expect(fixed.status).toBe(400);

		// finishTask from outside, for trigger tests.
		const second = await fetch(`${url}/scheduler/tasks?type=tiling`, {
			method: 'POST',
			headers: { ...auth, 'content-type': 'application/json' },
			body: JSON.stringify(docsTilingBody()),
		});
		const id2 = ((await second.json()) as { taskId: string }).taskId;
		await sleep(50);
		const progress = async () =>
			(
				(await (
					await fetch(`${url}/scheduler/tasks/${id2}/progress`, { headers: auth })
				).json()) as { status: string }
			).status;
		expect(await progress()).toBe('Executing');
		expect(
			(await fetch(`${origin}/__sandbox/finish/${id2}?status=Bogus`, { method: 'POST' })).status,
		).toBe(400);
		expect(
			(await fetch(`${origin}/__sandbox/finish/nope?status=Completed`, { method: 'POST' })).status,
		).toBe(404);
		const fin = await fetch(`${origin}/__sandbox/finish/${id2}?status=Completed`, {
			method: 'POST',
		});
		expect(fin.status).toBe(200);
		expect(await fin.json()).toMatchObject({ id: id2, status: 'Completed' });
		expect(await progress()).toBe('Completed');
		expect(
			(await fetch(`${origin}/__sandbox/finish/${id2}?status=Failed`, { method: 'POST' })).status,
		).toBe(409);
		expect(readStats(statsFile).tasks.find((t) => t.id === id2)?.status).toBe('Completed');

		// fail-next and reset-stats.
		const fn = await fetch(`${origin}/__sandbox/fail-next`, {
			method: 'POST',
			body: JSON.stringify({ route: 'layers', kind: '503', count: 1 }),
		});
		expect(fn.status).toBe(200);
		expect((await fetch(`${url}/layers`, { headers: auth })).status).toBe(503);
		expect((await fetch(`${url}/layers`, { headers: auth })).status).toBe(200);
		expect(readStats(statsFile).stats.requests.layers).toBe(2);
		expect((await fetch(`${origin}/__sandbox/reset-stats`, { method: 'POST' })).status).toBe(200);
		expect(readStats(statsFile).stats.requests.layers).toBe(0);
		expect((await fetch(`${origin}/__sandbox/nothing`)).status).toBe(404);

		expect(child.output()).toMatch(/^POST \/sp\/account\/login 200 \d+ms$/m);
		expect(child.output()).toMatch(/^GET \/sp\/layers 503 \d+ms fault=503$/m);
		expect(child.output()).not.toContain(token);
		expect(child.output()).not.toMatch(/demo-password\b(?!")/);

		const storage = /"storageDir":"([^"]+)"/.exec(child.output())?.[1] as string;
		expect(existsSync(storage)).toBe(true);
		expect(await child.stop('SIGTERM')).toBe(0);
		child = undefined;
		// The temporary storage it made is gone.
		expect(existsSync(storage)).toBe(false);
	});

	test('SIGINT stops it cleanly too; a bad knob exits 2 naming it', async () => {
		child = await spawnCli(built.cli, {});
		expect(await child.stop('SIGINT')).toBe(0);
		child = undefined;
		const bad = spawnSync(process.execPath, [built.cli], {
			env: {
				PATH: process.env.PATH ?? '',
				EVERGIS_SANDBOX_FAULTS: '{"upload":{"rate":1,"kinds":["oops"]}}',
			},
			encoding: 'utf8',
		});
		expect(bad.status).toBe(2);
		expect(bad.stderr).toMatch(/faults.upload.kinds/);
	});
});
