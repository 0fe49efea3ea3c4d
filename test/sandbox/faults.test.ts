import { FAULT_KINDS, startSandbox, type FaultKind, type Sandbox } from '../../sandbox';
import { FaultInjector } from '../../sandbox/faults';
import {
	bearer,
	call,
	createTask,
	docsTilingBody,
	login,
	raster,
	upload,
	type Session,
} from './helpers/client';

// Faults: failNext (deterministic) and seeded random ones; '*-after' kinds do the work first.

type Outcome =
	| { status: number; contentType: string | null; retryAfter: string | null; text: string }
	| { error: string };

async function attempt(
	run: (signal: AbortSignal) => Promise<Response>,
	timeoutMs = 2000,
): Promise<Outcome> {
	try {
		const res = await run(AbortSignal.timeout(timeoutMs));
		return {
			status: res.status,
			contentType: res.headers.get('content-type'),
			retryAfter: res.headers.get('retry-after'),
			text: await res.text(),
		};
	} catch (error) {
		const e = error as Error & { cause?: { code?: string; message?: string } };
		return {
			error:
				e.name === 'TimeoutError'
					? 'timeout'
					: `${e.message} ${e.cause?.code ?? e.cause?.message ?? ''}`,
		};
	}
}

const STATUS: Record<string, number> = {
	'500': 500,
	'502': 502,
	'503': 503,
	'504': 504,
	'429': 429,
	'419': 419,
	'401': 401,
	'400': 400,
	'404': 404,
};

describe('faults', () => {
	let sb: Sandbox;
	let demo: Session;

	beforeAll(async () => {
		sb = await startSandbox({ taskDurationMs: 100 });
		demo = await login(sb);
		await upload(sb, demo, 'landsat_test_image.tif', raster('float32.tif'));
	});
	afterAll(() => sb.close());

	const layers = (signal?: AbortSignal) =>
		fetch(`${sb.url}/layers`, { headers: bearer(demo), signal });

	test('failNext status kinds: JSON error, Retry-After on 429/503; html: nginx 502 page', async () => {
		sb.resetStats();
		for (const kind of ['500', '502', '503', '504', '429', '419'] as const) {
			sb.failNext('layers', kind);
			const o = await attempt(layers);
			expect(o).toMatchObject({ status: STATUS[kind] });
			if ('status' in o) {
				expect(JSON.parse(o.text)).toMatchObject({
					statusCode: STATUS[kind],
					message: expect.any(String),
				});
				expect(o.retryAfter).toBe(kind === '429' || kind === '503' ? '1' : null);
			}
		}
		sb.failNext('layers', 'html');
		const html = await attempt(layers);
		expect(html).toMatchObject({ status: 502, contentType: 'text/html' });
		expect('text' in html && html.text).toMatch(/502 Bad Gateway.*\n.*\n.*nginx/s);
		expect((await layers()).status).toBe(200);
		expect(sb.stats().faults.layers).toBe(7);
		expect(sb.stats().requests.layers).toBe(8);
	});

	test('failNext count, and queued faults come before random ones', async () => {
		sb.failNext('progress', '503', 2);
		const created = await createTask(sb, demo, docsTilingBody());
		const path = `/scheduler/tasks/${created.body.taskId as string}/progress`;
		expect((await call(sb, demo, 'GET', path)).status).toBe(503);
		expect((await call(sb, demo, 'GET', path)).status).toBe(503);
		expect((await call(sb, demo, 'GET', path)).status).toBe(200);

		sb.setOptions({ faults: { tables: { rate: 1, kinds: ['500'] } } });
		try {
			sb.failNext('tables', '419');
			expect((await call(sb, demo, 'GET', '/tables')).status).toBe(419);
			expect((await call(sb, demo, 'GET', '/tables')).status).toBe(500);
		} finally {
			sb.setOptions({ faults: {} });
		}
		expect((await call(sb, demo, 'GET', '/tables')).status).toBe(200);
		expect(() => sb.failNext('nope' as 'tables', '500')).toThrow(/unknown route/);
		expect(() => sb.failNext('tables', 'boom' as FaultKind)).toThrow(/unknown fault kind/);
	});

	test('upload: plain kinds and reset store nothing; reset-after and 500-after store the file', async () => {
		const body = Buffer.alloc(1024 * 1024, 3);
		const send = (name: string) => (signal: AbortSignal) => {
			const form = new FormData();
			form.append('file', new Blob([body]), name);
			form.append('rewrite', 'true');
			return fetch(`${sb.url}/upload/file`, {
				method: 'POST',
				headers: bearer(demo),
				body: form,
				signal,
			});
		};
		const stored = (name: string) => sb.uploads().some((u) => u.fileId === name);

		for (const kind of ['500', '503', 'html'] as const) {
			sb.failNext('upload', kind);
			const o = await attempt(send(`plain-${kind}.bin`));
			expect('status' in o && o.status).toBeGreaterThanOrEqual(500);
			expect(stored(`plain-${kind}.bin`)).toBe(false);
		}
		sb.failNext('upload', 'reset');
		expect(await attempt(send('reset.bin'))).toHaveProperty('error');
		expect(stored('reset.bin')).toBe(false);

		const before = sb.stats().uploadsStored;
		sb.failNext('upload', 'reset-after');
		expect(await attempt(send('reset-after.bin'))).toHaveProperty('error');
		expect(stored('reset-after.bin')).toBe(true);
		sb.failNext('upload', '500-after');
		expect(await attempt(send('500-after.bin'))).toMatchObject({ status: 500 });
		expect(stored('500-after.bin')).toBe(true);
		expect(sb.stats().uploadsStored).toBe(before + 2);
		// The stored file is usable: the client cannot tell, but the server has it.
		expect((await createTask(sb, demo, docsTilingBody('demo', ['500-after.bin']))).status).toBe(
			200,
		);
	});

	test('login: 500-after logs in (counted), 500 does not', async () => {
		const loginOnce = (signal: AbortSignal) =>
			fetch(`${sb.url}/account/login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ username: 'demo', password: 'demo-password' }),
				signal,
			});
		const n = sb.stats().logins;
		sb.failNext('login', '500');
		expect(await attempt(loginOnce)).toMatchObject({ status: 500 });
		expect(sb.stats().logins).toBe(n);
		sb.failNext('login', '500-after');
		expect(await attempt(loginOnce)).toMatchObject({ status: 500 });
		expect(sb.stats().logins).toBe(n + 1);
	});

	test('hang: no answer until the client gives up; the server goes on', async () => {
		sb.failNext('layers', 'hang');
		const started = Date.now();
		expect(await attempt(layers, 300)).toEqual({ error: 'timeout' });
		expect(Date.now() - started).toBeGreaterThanOrEqual(290);
		expect((await layers()).status).toBe(200);
	});

	test('seeded random faults of every kind on createTask, with and without the side effect', async () => {
		const rules = { createTask: { rate: 0.8, kinds: [...FAULT_KINDS] } };
		const seed = 1;
		const n = 60;
		// The same injector, run alone, tells which kind each request gets.
		const oracle = new FaultInjector(seed, rules);
		const expected = Array.from({ length: n }, () => oracle.decide('createTask'));
		expect(new Set(expected)).toEqual(new Set([...FAULT_KINDS, undefined]));

		sb.setOptions({ seed, faults: rules });
		sb.resetStats();
		try {
			for (let i = 0; i < n; i++) {
				const kind = expected[i];
				const tasksBefore = sb.tasks().length;
				const o = await attempt(
					(signal) =>
						fetch(`${sb.url}/scheduler/tasks?type=tiling`, {
							method: 'POST',
							headers: { ...bearer(demo), 'content-type': 'application/json' },
							body: JSON.stringify(docsTilingBody()),
							signal,
						}),
					kind === 'hang' ? 150 : 3000,
				);
				const made = sb.tasks().length - tasksBefore;
				const label = `request ${i} (${kind ?? 'no fault'})`;
				if (kind === undefined)
					expect([label, o]).toEqual([label, expect.objectContaining({ status: 200 })]);
				else if (kind in STATUS)
					expect([label, o]).toEqual([label, expect.objectContaining({ status: STATUS[kind] })]);
				else if (kind === 'html')
					expect([label, o]).toEqual([
						label,
						expect.objectContaining({ status: 502, contentType: 'text/html' }),
					]);
				else if (kind === '500-after')
					expect([label, o]).toEqual([label, expect.objectContaining({ status: 500 })]);
				else if (kind === 'hang') expect([label, o]).toEqual([label, { error: 'timeout' }]);
				else expect([label, o]).toEqual([label, { error: expect.any(String) }]);
				const sideEffect = kind === undefined || kind === 'reset-after' || kind === '500-after';
				expect([label, made]).toEqual([label, sideEffect ? 1 : 0]);
			}
			const faults = expected.filter((k) => k !== undefined).length;
			expect(sb.stats().faults.createTask).toBe(faults);
			expect(sb.stats().requests.createTask).toBe(n);
			expect(sb.stats().tasksCreated).toBe(
				expected.filter((k) => k === undefined || k.endsWith('-after')).length,
			);
		} finally {
			sb.setOptions({ faults: {} });
		}
	});

	test('the same seed gives the same faults; another seed others', async () => {
		const run = async (seed: number): Promise<string> => {
			const s = await startSandbox({
				seed,
				faults: { layers: { rate: 0.5, kinds: ['500', '503'] } },
			});
			try {
				const session = await login(s);
				let out = '';
				for (let i = 0; i < 40; i++)
					out += String((await call(s, session, 'GET', '/layers')).status)[0];
				return out;
			} finally {
				await s.close();
			}
		};
		const a = await run(7);
		expect(await run(7)).toBe(a);
		expect(await run(8)).not.toBe(a);
		const faults = [...a].filter((c) => c === '5').length;
		expect(faults).toBeGreaterThan(8);
		expect(faults).toBeLessThan(32);
	});

	test('latency is added before every answer', async () => {
		sb.setOptions({ latencyMs: 150 });
		try {
			const t = Date.now();
			expect((await layers()).status).toBe(200);
			expect(Date.now() - t).toBeGreaterThanOrEqual(140);
			const t2 = Date.now();
			expect((await fetch(`${sb.url}/no/such`)).status).toBe(404);
			expect(Date.now() - t2).toBeGreaterThanOrEqual(140);
		} finally {
			sb.setOptions({ latencyMs: 0 });
		}
	});

	test('close() ends hung requests', async () => {
		const s = await startSandbox();
		const session = await login(s);
		s.failNext('layers', 'hang');
		const pending = attempt(
			(signal) => fetch(`${s.url}/layers`, { headers: bearer(session), signal }),
			10_000,
		);
		await new Promise((r) => setTimeout(r, 100));
		const t = Date.now();
		await s.close();
		expect(Date.now() - t).toBeLessThan(2000);
		expect(await pending).toHaveProperty('error');
	});
});

describe('request log', () => {
	test('one line per request, with no password or token in it', async () => {
		const lines: string[] = [];
		const sb = await startSandbox({ log: (l) => lines.push(l) });
		try {
			const s = await login(sb);
			await call(sb, s, 'GET', '/layers?filter=x');
			await fetch(`${sb.url}/account/refresh-token`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ refreshToken: s.refreshToken }),
			});
			sb.failNext('tables', 'reset');
			await attempt((signal) => fetch(`${sb.url}/tables`, { headers: bearer(s), signal }));
			await new Promise((r) => setTimeout(r, 50));
			expect(lines).toHaveLength(4);
			expect(lines[0]).toMatch(/^POST \/sp\/account\/login 200 \d+ms$/);
			expect(lines[1]).toMatch(/^GET \/sp\/layers 200 \d+ms$/);
			expect(lines[3]).toMatch(/^GET \/sp\/tables reset \d+ms fault=reset$/);
			for (const secret of sb.issuedSecrets()) {
				for (const line of lines) expect(line).not.toContain(secret);
			}
		} finally {
			await sb.close();
		}
	});
});
