import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { OptionError, startSandbox, type Sandbox, type SandboxStats } from '../../sandbox';
import {
	bearer,
	call,
	createTask,
	docsTilingBody,
	login,
	raster,
	upload,
	waitForEnd,
	type Session,
} from './helpers/client';

// Load: maxActiveRequests (419 past it, server-wide, as EverGIS's maximumActiveRequests),
// latencyPerActiveRequestMs, the load stats, and renameUploads. Requests are held open
// deterministically, never by the clock: a client that sends its headers and only part of its
// body (the server is processing it until the rest arrives), or a huge latency that a change of
// the knob ends.

/** Waits until `check` holds; the deadline only turns a hang into a readable failure. */
async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
	const until = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 5));
	}
}

const active = (sb: Sandbox): number => sb.stats().activeRequests;
const settled = (sb: Sandbox, n = 0): Promise<void> =>
	waitFor(`${n} active requests (now ${active(sb)})`, () => active(sb) === n);

interface Answer {
	status: number;
	text: string;
	json: () => Record<string, unknown>;
}

/** A request whose body is sent in two steps: `first` now, the rest on finish(). */
interface Held {
	/** Sends the rest of the body; resolves with the answer. */
	finish(): Promise<Answer>;
	/** Drops the connection mid-body, as a client that gives up. */
	abort(): void;
	/** The answer, whenever it comes (rejects when the connection is dropped). */
	answer: Promise<Answer>;
	/** True once the server sent 100 Continue (only with expectContinue). */
	continued(): boolean;
}

function hold(
	sb: Sandbox,
	method: string,
	path: string,
	headers: Record<string, string>,
	body: Buffer,
	firstBytes: number,
	expectContinue = false,
): Held {
	const url = new URL(`${sb.url}${path}`);
	let wasContinued = false;
	const req = request({
		host: url.hostname,
		port: url.port,
		path: `${url.pathname}${url.search}`,
		method,
		agent: false,
		headers: {
			...headers,
			'content-length': String(body.length),
			...(expectContinue ? { expect: '100-continue' } : {}),
		},
	});
	const answer = new Promise<Answer>((resolve, reject) => {
		req.once('response', (res: IncomingMessage) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.once('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				resolve({
					status: res.statusCode ?? 0,
					text,
					json: () => JSON.parse(text) as Record<string, unknown>,
				});
			});
			res.once('error', reject);
		});
		req.once('error', reject);
	});
	answer.catch(() => undefined);
	if (expectContinue) {
		req.once('continue', () => {
			wasContinued = true;
			req.write(body.subarray(0, firstBytes));
		});
		req.flushHeaders();
	} else {
		req.write(body.subarray(0, firstBytes));
	}
	return {
		finish() {
			req.end(body.subarray(firstBytes));
			return answer;
		},
		abort() {
			req.destroy();
		},
		answer,
		continued: () => wasContinued,
	};
}

const LOGIN_BODY = Buffer.from(JSON.stringify({ username: 'demo', password: 'demo-password' }));

/** A login held open after the first bytes of its body. */
function holdLogin(sb: Sandbox): Held {
	return hold(sb, 'POST', '/account/login', { 'content-type': 'application/json' }, LOGIN_BODY, 5);
}

/** A multipart body with one file part, as a client builds it. */
function multipart(name: string, data: Buffer): { body: Buffer; type: string } {
	const boundary = 'sandboxLoadTestBoundary7MA4YWxk';
	const head = Buffer.from(
		`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
			'Content-Type: application/octet-stream\r\n\r\n',
	);
	const tail = Buffer.from(
		`\r\n--${boundary}\r\nContent-Disposition: form-data; name="rewrite"\r\n\r\ntrue\r\n--${boundary}--\r\n`,
	);
	return {
		body: Buffer.concat([head, data, tail]),
		type: `multipart/form-data; boundary=${boundary}`,
	};
}

/** An upload held open after its multipart head and the first `firstBytes` of the file. */
function holdUpload(
	sb: Sandbox,
	session: Session,
	name: string,
	data: Buffer,
	firstBytes = 64 * 1024,
	expectContinue = false,
): Held {
	const { body, type } = multipart(name, data);
	const headBytes = body.indexOf('\r\n\r\n') + 4;
	return hold(
		sb,
		'POST',
		'/upload/file',
		{ ...bearer(session), 'content-type': type },
		body,
		headBytes + firstBytes,
		expectContinue,
	);
}

const incomingFiles = (sb: Sandbox): string[] =>
	readdirSync(join(sb.options.storageDir, 'incoming'));

function expectBusy(answer: { status: number; body?: unknown; text?: string }, limit: number) {
	expect(answer.status).toBe(419);
	const body = answer.body ?? JSON.parse(answer.text ?? '');
	expect(body).toEqual({
		message: `Too many active requests (the server processes at most ${limit} at once)`,
		errorType: 'ResourceLimitExceeded',
		statusCode: 419,
	});
}

describe('maxActiveRequests', () => {
	let sb: Sandbox;
	let demo: Session;
	const lines: string[] = [];

	beforeAll(async () => {
		sb = await startSandbox({
			taskDurationMs: 100,
			maxActiveRequests: 3,
			log: (l) => lines.push(l),
		});
		demo = await login(sb);
		await upload(sb, demo, 'landsat_test_image.tif', raster('float32.tif'));
	});
	afterAll(() => sb.close());
	beforeEach(async () => {
		sb.setOptions({ maxActiveRequests: 3, latencyMs: 0, latencyPerActiveRequestMs: 0 });
		await settled(sb);
		sb.resetStats();
		lines.length = 0;
	});

	test('the 4th concurrent request gets 419 at once and is counted; the three go on', async () => {
		const held = [holdLogin(sb), holdLogin(sb), holdLogin(sb)];
		await settled(sb, 3);

		const refused = await call(sb, demo, 'GET', '/layers');
		expectBusy(refused, 3);
		const stats = sb.stats();
		expect(stats.refused.layers).toBe(1);
		expect(stats.refusedTotal).toBe(1);
		expect(stats.requests.layers).toBe(1);
		expect(stats.answers).toEqual({ '419': 1 });
		expect(stats.activeRequests).toBe(3);
		expect(stats.peakActiveRequests).toBe(3);
		// A refused login is refused before its body is looked at: no login, no token.
		const refusedLogin = await fetch(`${sb.url}/account/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: LOGIN_BODY,
		});
		expect(refusedLogin.status).toBe(419);
		expect(sb.stats().logins).toBe(0);
		expect(sb.stats().refused.login).toBe(1);

		for (const h of held) {
			const a = await h.finish();
			expect(a.status).toBe(200);
			expect(a.json()).toHaveProperty('token');
		}
		await settled(sb);
		expect((await call(sb, demo, 'GET', '/layers')).status).toBe(200);
		await settled(sb);

		const after = sb.stats();
		expect(after).toMatchObject({
			logins: 3,
			refusedTotal: 2,
			peakActiveRequests: 3,
			activeRequests: 0,
			answers: { '200': 4, '419': 2 },
		});
		expect(after.refused).toMatchObject({ layers: 1, login: 1, upload: 0, unknown: 0 });
		const busyLines = lines.filter((l) => / 419 \d+ms busy$/.test(l));
		expect(busyLines).toEqual([
			expect.stringMatching(/^GET \/sp\/layers 419 \d+ms busy$/),
			expect.stringMatching(/^POST \/sp\/account\/login 419 \d+ms busy$/),
		]);
	});

	test('the load figures: time at each count, at the limit, the mean; reset starts them afresh', async () => {
		const held = [holdLogin(sb), holdLogin(sb), holdLogin(sb)];
		await settled(sb, 3);
		expect((await call(sb, demo, 'GET', '/tables')).status).toBe(419);
		for (const h of held) expect((await h.finish()).status).toBe(200);
		await settled(sb);

		const { load } = sb.stats();
		expect(load.msByActive.length).toBe(4);
		const sum = load.msByActive.reduce((a, b) => a + b, 0);
		expect(Math.abs(sum - load.observedMs)).toBeLessThan(0.01);
		expect(load.msByActive[3]).toBeGreaterThan(0);
		expect(Math.abs(load.msAtLimit - load.msByActive[3])).toBeLessThan(0.01);
		expect(load.shareAtLimit).toBeGreaterThan(0);
		expect(load.shareAtLimit).toBeLessThanOrEqual(1);
		// msAtLimit and observedMs are rounded to 1 µs, the share is not: over a few ms of observation
		// their ratio may differ from it by about 1 µs / observedMs.
		expect(Math.abs(load.shareAtLimit - load.msAtLimit / load.observedMs)).toBeLessThan(
			0.002 / load.observedMs,
		);
		expect(load.meanActiveRequests).toBeGreaterThan(0);
		expect(load.meanActiveRequests).toBeLessThanOrEqual(3);
		// Up to the last change only: the same state gives the same figures.
		expect(sb.stats()).toEqual(sb.stats());

		const one = holdLogin(sb);
		await settled(sb, 1);
		const reset = (await (
			await fetch(`${sb.origin}/__sandbox/reset-stats`, { method: 'POST' })
		).json()) as SandboxStats;
		expect(reset).toMatchObject({
			refusedTotal: 0,
			answers: {},
			activeRequests: 1,
			peakActiveRequests: 1,
			load: { observedMs: 0, msByActive: [], msAtLimit: 0, shareAtLimit: 0 },
		});
		expect(reset.refused.tables).toBe(0);
		expect((await one.finish()).status).toBe(200);
		await settled(sb);
		expect(sb.stats().load.msByActive).toEqual([0, expect.any(Number)]);
	});

	test('uploads count while they stream; a refused upload leaves no file and the body is drained', async () => {
		sb.setOptions({ maxActiveRequests: 2 });
		const data = Buffer.alloc(1024 * 1024, 7);
		const streaming = holdUpload(sb, demo, 'streaming.bin', data);
		await settled(sb, 1);
		await waitFor('the streaming upload on disk', () => incomingFiles(sb).length === 1);
		const other = holdLogin(sb);
		await settled(sb, 2);

		// Over fetch (undici), the body sent in full: the client gets its 419.
		const refused = await upload(sb, demo, 'refused.bin', data, { rewrite: true });
		expectBusy(refused, 2);
		// Over node:http, the answer comes while the body is still being written.
		const early = holdUpload(sb, demo, 'refused-early.bin', data);
		expectBusy(await early.answer, 2);
		expect((await early.finish()).status).toBe(419);
		expect(sb.stats().refused.upload).toBe(2);
		expect(incomingFiles(sb)).toHaveLength(1);
		expect(active(sb)).toBe(2);

		const stored = await streaming.finish();
		expect(stored.status).toBe(200);
		expect(stored.json()).toMatchObject({ fileId: 'streaming.bin' });
		expect((await other.finish()).status).toBe(200);
		await settled(sb);
		expect(incomingFiles(sb)).toEqual([]);
		expect(sb.uploads().map((u) => u.fileId)).not.toContain('refused.bin');
		expect(sb.uploads().map((u) => u.fileId)).not.toContain('refused-early.bin');
		expect((await upload(sb, demo, 'refused.bin', data)).status).toBe(200);
		expect(sb.stats()).toMatchObject({ peakActiveRequests: 2, uploadsStored: 2 });
	});

	test('Expect: 100-continue past the limit: 419 instead of the invitation, the body never sent', async () => {
		sb.setOptions({ maxActiveRequests: 1 });
		const first = holdLogin(sb);
		await settled(sb, 1);
		const data = Buffer.alloc(256 * 1024, 1);
		const refused = holdUpload(sb, demo, 'expect.bin', data, 1024, true);
		expectBusy(await refused.answer, 1);
		expect(refused.continued()).toBe(false);
		expect((await first.finish()).status).toBe(200);
		await settled(sb);

		const accepted = holdUpload(sb, demo, 'expect.bin', data, 1024, true);
		await waitFor('100 Continue', () => accepted.continued());
		expect(active(sb)).toBe(1);
		expect((await accepted.finish()).status).toBe(200);
		await settled(sb);
	});

	test('no leak: client aborts mid-upload and mid-body, resets, hangs, errors', async () => {
		const data = Buffer.alloc(1024 * 1024, 9);
		const gone = holdUpload(sb, demo, 'aborted.bin', data);
		await settled(sb, 1);
		await waitFor('the aborted upload on disk', () => incomingFiles(sb).length === 1);
		gone.abort();
		await expect(gone.answer).rejects.toThrow();
		await settled(sb);
		await waitFor('the half-written file removed', () => incomingFiles(sb).length === 0);
		expect(sb.uploads().map((u) => u.fileId)).not.toContain('aborted.bin');

		const loginGone = holdLogin(sb);
		await settled(sb, 1);
		loginGone.abort();
		await settled(sb);

		sb.failNext('layers', 'reset');
		await expect(fetch(`${sb.url}/layers`, { headers: bearer(demo) })).rejects.toThrow();
		await settled(sb);
		sb.failNext('layers', 'hang');
		const controller = new AbortController();
		const hung = fetch(`${sb.url}/layers`, { headers: bearer(demo), signal: controller.signal });
		await settled(sb, 1);
		controller.abort();
		await expect(hung).rejects.toThrow();
		await settled(sb);
		for (const kind of ['500', '503', 'reset-after', '500-after', 'html'] as const) {
			sb.failNext('tables', kind);
			await fetch(`${sb.url}/tables`, { headers: bearer(demo) }).then(
				(r) => r.text(),
				() => undefined,
			);
		}
		expect((await call(sb, 'not-a-token', 'GET', '/layers')).status).toBe(401);
		expect((await call(sb, demo, 'POST', '/scheduler/tasks?type=tiling', '{nope')).status).toBe(
			400,
		);
		expect((await fetch(`${sb.url}/no/such/route`)).status).toBe(404);
		await settled(sb);

		// The full limit is still there.
		const held = [holdLogin(sb), holdLogin(sb), holdLogin(sb)];
		await settled(sb, 3);
		expect((await call(sb, demo, 'GET', '/layers')).status).toBe(419);
		for (const h of held) expect((await h.finish()).status).toBe(200);
		await settled(sb);
	});

	test('control routes are never counted nor refused; paths outside the prefix are not counted', async () => {
		sb.setOptions({ maxActiveRequests: 1 });
		const held = holdLogin(sb);
		await settled(sb, 1);
		for (let i = 0; i < 3; i++) {
			expect((await fetch(`${sb.origin}/__sandbox/stats`)).status).toBe(200);
			expect((await fetch(`${sb.origin}/__sandbox/options`)).status).toBe(200);
		}
		const patched = await fetch(`${sb.origin}/__sandbox/options`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ seed: 3 }),
		});
		expect(patched.status).toBe(200);
		const outside = await fetch(`${sb.origin}/elsewhere`);
		expect(outside.status).toBe(404);
		expect(outside.headers.get('content-type')).toBe('text/html');
		expect(sb.stats()).toMatchObject({ activeRequests: 1, peakActiveRequests: 1, refusedTotal: 0 });
		// An unknown path under the prefix is an API request: counted, and refused at the limit.
		expectBusy(await call(sb, demo, 'GET', '/no/such/route'), 1);
		expect(sb.stats().refused.unknown).toBe(1);
		expect((await held.finish()).status).toBe(200);
		await settled(sb);
	});

	test('latency is spent inside the active window; changing it re-times the waits', async () => {
		sb.setOptions({ maxActiveRequests: 2, latencyMs: 600_000 });
		const slow = [call(sb, demo, 'GET', '/layers'), createTask(sb, demo, docsTilingBody())];
		await settled(sb, 2);
		expectBusy(await call(sb, demo, 'GET', '/tables'), 2);
		expect(sb.stats().answers).toEqual({ '419': 1 });
		sb.setOptions({ latencyMs: 0 });
		const [layers, task] = await Promise.all(slow);
		expect(layers.status).toBe(200);
		expect(task.status).toBe(200);
		expect(sb.tasks()).toHaveLength(1);
		await settled(sb);
	});

	test('latencyPerActiveRequestMs: the more requests active at the start, the longer the wait', async () => {
		sb.setOptions({ maxActiveRequests: 0 });
		const held = [holdLogin(sb), holdLogin(sb)];
		await settled(sb, 2);
		// Held: 2 others active → 2 × the per-request latency (a release ends the wait).
		sb.setOptions({ latencyPerActiveRequestMs: 600_000 });
		const slow = call(sb, demo, 'GET', '/layers');
		await settled(sb, 3);
		sb.setOptions({ latencyPerActiveRequestMs: 0 });
		expect((await slow).status).toBe(200);
		// A lower bound only (a slow machine can only make it longer).
		sb.setOptions({ latencyPerActiveRequestMs: 100 });
		const t = performance.now();
		expect((await call(sb, demo, 'GET', '/layers')).status).toBe(200);
		expect(performance.now() - t).toBeGreaterThanOrEqual(190);
		sb.setOptions({ latencyPerActiveRequestMs: 0 });
		for (const h of held) expect((await h.finish()).status).toBe(200);
		await settled(sb);
	});

	test('0 = no limit', async () => {
		sb.setOptions({ maxActiveRequests: 0 });
		const held = Array.from({ length: 30 }, () => holdLogin(sb));
		await settled(sb, 30);
		expect((await call(sb, demo, 'GET', '/layers')).status).toBe(200);
		for (const h of held) expect((await h.finish()).status).toBe(200);
		await settled(sb);
		expect(sb.stats()).toMatchObject({ peakActiveRequests: 31, refusedTotal: 0 });
	});
});

describe('maxActiveRequests: default, knob, stats file', () => {
	test('default 20 as EverGIS; validated; settable over HTTP; counts in the stats file', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'sandbox-load-'));
		const statsFile = join(dir, 'stats.json');
		const sb = await startSandbox({ statsFile });
		try {
			expect(sb.options).toMatchObject({
				maxActiveRequests: 20,
				latencyPerActiveRequestMs: 0,
				renameUploads: false,
			});
			const demo = await login(sb);
			const held = Array.from({ length: 20 }, () => holdLogin(sb));
			await settled(sb, 20);
			expectBusy(await call(sb, demo, 'GET', '/layers'), 20);
			const file = JSON.parse(readFileSync(statsFile, 'utf8')) as { stats: SandboxStats };
			expect(file.stats).toMatchObject({
				refusedTotal: 1,
				refused: { layers: 1 },
				activeRequests: 20,
				peakActiveRequests: 20,
				answers: { '200': 1, '419': 1 },
			});
			expect(file.stats.load).toEqual(
				expect.objectContaining({ observedMs: expect.any(Number), msByActive: expect.any(Array) }),
			);
			for (const h of held) expect((await h.finish()).status).toBe(200);
			await settled(sb);

			for (const bad of [-1, 1.5, '3', null]) {
				expect(() => sb.setOptions({ maxActiveRequests: bad as number })).toThrow(OptionError);
			}
			expect(() => sb.setOptions({ latencyPerActiveRequestMs: -1 })).toThrow(
				/latencyPerActiveRequestMs must be a non-negative number/,
			);
			expect(() => sb.setOptions({ renameUploads: 'yes' as unknown as boolean })).toThrow(
				/renameUploads must be true or false/,
			);
			const patch = await fetch(`${sb.origin}/__sandbox/options`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({
					maxActiveRequests: 1,
					latencyPerActiveRequestMs: 5,
					renameUploads: true,
				}),
			});
			expect(patch.status).toBe(200);
			expect(await patch.json()).toMatchObject({
				maxActiveRequests: 1,
				latencyPerActiveRequestMs: 5,
				renameUploads: true,
			});
			const bad = await fetch(`${sb.origin}/__sandbox/options`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ maxActiveRequests: -2 }),
			});
			expect(bad.status).toBe(400);
			expect(((await bad.json()) as { message: string }).message).toMatch(/maxActiveRequests/);
			const one = holdLogin(sb);
			await settled(sb, 1);
			expect((await call(sb, demo, 'GET', '/layers')).status).toBe(419);
			expect((await one.finish()).status).toBe(200);
		} finally {
			await sb.close();
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe('renameUploads', () => {
	let sb: Sandbox;
	let demo: Session;
	beforeAll(async () => {
		sb = await startSandbox({ taskDurationMs: 100, renameUploads: true });
		demo = await login(sb);
	});
	afterAll(() => sb.close());

	test('the file is stored and answered under another name; tasks must name that one', async () => {
		const sent = 'landsat_test_image.tif';
		const up = await upload(sb, demo, sent, raster('float32.tif'));
		expect(up.status).toBe(200);
		const fileId = up.body.fileId as string;
		expect(fileId).toMatch(/^u[0-9a-f]{6}_landsat_test_image\.tif$/);
		expect(sb.uploads().at(-1)).toMatchObject({ fileId, sentName: sent, overwrote: false });

		const bySent = await createTask(sb, demo, docsTilingBody('demo', [sent]));
		expect(bySent.status).toBe(400);
		expect(bySent.body.message).toMatch(/File 'landsat_test_image\.tif' \(files\[0\]\) is not in/);

		const byId = await createTask(sb, demo, docsTilingBody('demo', [fileId]));
		expect(byId.status).toBe(200);
		const end = await waitForEnd(sb, demo, byId.body.taskId as string);
		expect(end.status).toBe('Completed');
		expect(sb.catalog('demo.landsat_images')?.rasters.map((r) => r.fileId)).toContain(fileId);
	});

	test('every upload gets a new name (no 409 without rewrite); off again, the sent name', async () => {
		const a = await upload(sb, demo, 'same.tif', raster('float32.tif'));
		const b = await upload(sb, demo, 'same.tif', raster('float32.tif'));
		expect([a.status, b.status]).toEqual([200, 200]);
		expect(a.body.fileId).not.toBe(b.body.fileId);
		sb.setOptions({ renameUploads: false });
		try {
			const plain = await upload(sb, demo, 'same.tif', raster('float32.tif'));
			expect(plain.body.fileId).toBe('same.tif');
			expect(sb.uploads().at(-1)).toMatchObject({ fileId: 'same.tif', sentName: 'same.tif' });
		} finally {
			sb.setOptions({ renameUploads: true });
		}
	});
});
