import { createHash } from 'node:crypto';
import { request } from 'node:http';

import { startSandbox, type Sandbox } from '../../sandbox';
import {
	bearer,
	createTask,
	docsTilingBody,
	login,
	raster,
	upload,
	type Session,
} from './helpers/client';
import { buildCli, memoryOf, spawnCli } from './helpers/spawn';

// POST /upload/file: multipart parsing, names, rewrite, limits, session scope, streaming.

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** A multipart body built by hand, to control every header byte. */
function multipart(
	parts: Array<{ disposition: string; body: string | Buffer }>,
	boundary = 'b0undary',
): Buffer {
	const chunks: Buffer[] = [];
	for (const p of parts) {
		chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${p.disposition}\r\n\r\n`));
		chunks.push(Buffer.from(p.body));
		chunks.push(Buffer.from('\r\n'));
	}
	chunks.push(Buffer.from(`--${boundary}--\r\n`));
	return Buffer.concat(chunks);
}

async function postRaw(
	sb: Sandbox,
	session: Session | null,
	body: Buffer | string,
	contentType: string,
) {
	const res = await fetch(`${sb.url}/upload/file`, {
		method: 'POST',
		headers: { ...(session ? bearer(session) : {}), 'content-type': contentType },
		body,
	});
	const text = await res.text();
	let json: Record<string, unknown> = {};
	try {
		json = JSON.parse(text) as Record<string, unknown>;
	} catch {
		json = {};
	}
	return { status: res.status, text, body: json, headers: res.headers };
}

describe('upload', () => {
	let sb: Sandbox;
	let demo: Session;

	beforeAll(async () => {
		sb = await startSandbox();
		demo = await login(sb);
	});
	afterAll(() => sb.close());

	test('stores the file with size and sha256; 409 without rewrite; rewrite before or after the file', async () => {
		const first = raster('rgb-byte-tenth.tif');
		expect((await upload(sb, demo, 'scene.tif', first)).status).toBe(200);
		const rec = sb.uploads().at(-1);
		expect(rec).toMatchObject({
			fileId: 'scene.tif',
			owner: 'demo',
			size: first.length,
			sha256: sha(first),
			overwrote: false,
		});
		expect(rec?.storedAt).toMatch(/Z$/);

		for (const rewrite of [undefined, false, 'no']) {
			const again = await upload(sb, demo, 'scene.tif', 'other', { rewrite });
			expect(again.status).toBe(409);
			expect(again.body).toMatchObject({ errorType: 'DuplicateContent', statusCode: 409 });
			expect(again.body.message).toMatch(/'scene.tif' already exists.*rewrite=true/);
		}
		const after = await upload(sb, demo, 'scene.tif', 'second', { rewrite: true });
		expect(after.status).toBe(200);
		expect(sb.uploads().at(-1)).toMatchObject({ sha256: sha('second'), overwrote: true });
		const before = await upload(sb, demo, 'scene.tif', 'third', {
			rewrite: 'True',
			rewriteFirst: true,
		});
		expect(before.status).toBe(200);
		expect(sb.uploads().at(-1)).toMatchObject({ sha256: sha('third'), size: 5 });
		expect(sb.stats().uploadsStored).toBe(3);
	});

	test('names: path parts removed, unicode kept, empty refused', async () => {
		const unix = multipart([
			{ disposition: 'form-data; name="file"; filename="../../etc/passwd"', body: 'x' },
		]);
		const r1 = await postRaw(sb, demo, unix, 'multipart/form-data; boundary=b0undary');
		expect(r1.body).toMatchObject({ fileId: 'passwd' });
		const win = multipart([
			{ disposition: 'form-data; name="file"; filename="C:\\data\\win.tif"', body: 'x' },
		]);
		expect(
			(await postRaw(sb, demo, win, 'multipart/form-data; boundary=b0undary')).body.fileId,
		).toBe('win.tif');
		expect((await upload(sb, demo, 'снимок 2023 (1).tif', 'x')).body.fileId).toBe(
			'снимок 2023 (1).tif',
		);

		const empty = multipart([{ disposition: 'form-data; name="file"; filename=""', body: 'x' }]);
		const r2 = await postRaw(sb, demo, empty, 'multipart/form-data; boundary=b0undary');
		expect(r2.status).toBe(400);
		expect(r2.body.message).toMatch(/'file' part has no file name/);
		const dots = multipart([{ disposition: 'form-data; name="file"; filename=".."', body: 'x' }]);
		const r3 = await postRaw(sb, demo, dots, 'multipart/form-data; boundary=b0undary');
		expect(r3.status).toBe(400);
		expect(r3.body.message).toMatch(/empty file name/);
	});

	test('no file part, not multipart, malformed multipart, no token: 400/401 and nothing stored', async () => {
		const count = sb.uploads().length;
		const noFile = multipart([
			{ disposition: 'form-data; name="rewrite"', body: 'true' },
			{ disposition: 'form-data; name="document"; filename="a.tif"', body: 'x' },
		]);
		const r1 = await postRaw(sb, demo, noFile, 'multipart/form-data; boundary=b0undary');
		expect(r1.status).toBe(400);
		expect(r1.body.message).toMatch(/no part named 'file'/);
		const r2 = await postRaw(sb, demo, '{"file":"a.tif"}', 'application/json');
		expect(r2.status).toBe(400);
		expect(r2.body.message).toMatch(/multipart\/form-data/);
		const cut = multipart([
			{ disposition: 'form-data; name="file"; filename="cut.tif"', body: 'abc' },
		]).subarray(0, 70);
		const r3 = await postRaw(sb, demo, cut, 'multipart/form-data; boundary=b0undary');
		expect(r3.status).toBe(400);
		expect(r3.body.message).toMatch(/malformed/);
		const r4 = await postRaw(
			sb,
			null,
			multipart([{ disposition: 'form-data; name="file"; filename="anon.tif"', body: 'x' }]),
			'multipart/form-data; boundary=b0undary',
		);
		expect(r4.status).toBe(401);
		expect(sb.uploads().length).toBe(count);
	});

	test('maxUploadBytes: 413 nginx page by Content-Length and for a streamed body', async () => {
		sb.setOptions({ maxUploadBytes: 100_000 });
		try {
			const count = sb.uploads().length;
			const big = await upload(sb, demo, 'big.tif', Buffer.alloc(150_000, 1));
			expect(big.status).toBe(413);
			expect(big.headers.get('content-type')).toMatch(/text\/html/);
			expect(big.text).toMatch(/413 Request Entity Too Large/);
			expect(big.text).toMatch(/nginx/);

			// With `Expect: 100-continue` (as curl sends): 413 at once, no invitation to send.
			const expectContinue = await new Promise<string>((resolve, reject) => {
				const req = request(`${sb.url}/upload/file`, {
					method: 'POST',
					headers: {
						...bearer(demo),
						'content-type': 'multipart/form-data; boundary=b0undary',
						'content-length': '150000',
						expect: '100-continue',
					},
				});
				req.on('continue', () => resolve('continue'));
				req.on('response', (res) => {
					res.resume();
					resolve(`${res.statusCode} ${res.statusMessage}`);
				});
				req.on('error', reject);
				req.flushHeaders();
			});
			expect(expectContinue).toBe('413 Request Entity Too Large');

			// Chunked (no Content-Length): refused once the body passes the limit.
			const head = Buffer.from(
				'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="s.tif"\r\n\r\n',
			);
			let sent = 0;
			const stream = new ReadableStream<Uint8Array>({
				pull(controller) {
					if (sent === 0) controller.enqueue(head);
					if (sent >= 300_000) {
						controller.enqueue(Buffer.from('\r\n--b0undary--\r\n'));
						controller.close();
						return;
					}
					sent += 16_384;
					controller.enqueue(Buffer.alloc(16_384, 2));
				},
			});
			let status: number | string;
			try {
				const res = await fetch(`${sb.url}/upload/file`, {
					method: 'POST',
					headers: { ...bearer(demo), 'content-type': 'multipart/form-data; boundary=b0undary' },
					body: stream,
					duplex: 'half',
				} as RequestInit);
				status = res.status;
				await res.text();
			} catch (error) {
				status = `error ${(error as Error).message}`;
			}
			expect(status).toBe(413);
			const small = await upload(sb, demo, 'small.tif', Buffer.alloc(1000, 1));
			expect(small.status).toBe(200);
			expect(
				sb
					.uploads()
					.map((u) => u.fileId)
					.slice(count),
			).toEqual(['small.tif']);
		} finally {
			sb.setOptions({ maxUploadBytes: null });
		}
	});

	test('files are per user, and with filesTiedToSession per login session', async () => {
		const alice = await login(sb, 'alice');
		await upload(sb, alice, 'shared_name.tif', raster('float32.tif'));
		// demo does not see alice's file, and may use the same name.
		expect((await upload(sb, demo, 'shared_name.tif', raster('float32.tif'))).status).toBe(200);

		// Default: another session of the same user sees the file.
		const demo2 = await login(sb);
		expect((await createTask(sb, demo2, docsTilingBody('demo', ['shared_name.tif']))).status).toBe(
			200,
		);

		sb.setOptions({ filesTiedToSession: true });
		try {
			const s1 = await login(sb);
			const s2 = await login(sb);
			expect((await upload(sb, s1, 'mine.tif', raster('float32.tif'))).status).toBe(200);
			const other = await createTask(sb, s2, docsTilingBody('demo', ['mine.tif']));
			expect(other.status).toBe(400);
			expect(other.body.message).toMatch(/File 'mine.tif' .* for this login session/);
			expect((await createTask(sb, s1, docsTilingBody('demo', ['mine.tif']))).status).toBe(200);
			// Separate storages: the same name in another session is no conflict.
			expect((await upload(sb, s2, 'mine.tif', 'x')).status).toBe(200);
			const sids = sb
				.uploads()
				.filter((u) => u.fileId === 'mine.tif')
				.map((u) => u.session);
			expect(new Set(sids).size).toBe(2);
		} finally {
			sb.setOptions({ filesTiedToSession: false });
		}
	});
});

describe('upload streaming (sandbox in a child process)', () => {
	const built = buildCli('.sandbox-test-upload');
	afterAll(() => built.remove());

	test('a 64 MiB upload is streamed to disk: the sandbox RSS barely grows', async () => {
		const child = await spawnCli(built.cli, {});
		try {
			const pid = child.proc.pid as number;
			const before = memoryOf(pid);
			if (!before) return; // not Linux: nothing to measure
			const res = await fetch(`${child.url}/account/login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ username: 'demo', password: 'demo-password' }),
			});
			const { token } = (await res.json()) as { token: string };

			const total = 64 * 1024 * 1024;
			const chunk = 1024 * 1024;
			const hash = createHash('sha256');
			let sent = 0;
			let peakDuring = 0;
			const head = Buffer.from(
				'--b0undary\r\nContent-Disposition: form-data; name="rewrite"\r\n\r\ntrue\r\n' +
					'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n' +
					'Content-Type: application/octet-stream\r\n\r\n',
			);
			const tail = Buffer.from('\r\n--b0undary--\r\n');
			const body = new ReadableStream<Uint8Array>({
				start(controller) {
					controller.enqueue(head);
				},
				pull(controller) {
					if (sent >= total) {
						controller.enqueue(tail);
						controller.close();
						return;
					}
					const data = Buffer.alloc(chunk, sent / chunk);
					hash.update(data);
					sent += chunk;
					controller.enqueue(data);
					if (sent % (8 * chunk) === 0) peakDuring = Math.max(peakDuring, memoryOf(pid)?.rss ?? 0);
				},
			});
			const up = await fetch(`${child.url}/upload/file`, {
				method: 'POST',
				headers: {
					authorization: `Bearer ${token}`,
					'content-type': 'multipart/form-data; boundary=b0undary',
				},
				body,
				duplex: 'half',
			} as RequestInit);
			expect(up.status).toBe(200);
			expect(await up.json()).toEqual({
				fileId: 'big.bin',
				url: null,
				resourceId: null,
				sourceId: null,
			});
			const after = memoryOf(pid);
			const growth = Math.max(after?.peak ?? 0, peakDuring) - before.rss;
			expect(growth).toBeLessThan(48 * 1024 * 1024);

			const stats = (await (await fetch(`${child.origin}/__sandbox/stats`)).json()) as {
				uploads: Array<{ fileId: string; size: number; sha256: string }>;
			};
			expect(stats.uploads).toEqual([
				expect.objectContaining({ fileId: 'big.bin', size: total, sha256: hash.digest('hex') }),
			]);
		} finally {
			expect(await child.stop()).toBe(0);
		}
	});
});
