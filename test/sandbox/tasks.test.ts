import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { checkRaster, pyramidTiles, startSandbox, type Sandbox } from '../../sandbox';
import { CatalogStore } from '../../sandbox/catalogs';
import type { StoredFile } from '../../sandbox/storage';
import { TaskStore } from '../../sandbox/tasks';
import {
	call,
	createTask,
	docsTilingBody,
	login,
	raster,
	RASTERS,
	sleep,
	upload,
	waitForEnd,
	type Session,
} from './helpers/client';

// The task state machine (by the clock, cancel, timeout, finishTask) and the raster check.

function fileOf(name: string, path = join(RASTERS, name)): StoredFile {
	return {
		fileId: name,
		sentName: name,
		owner: 'demo',
		size: 0,
		sha256: '',
		storedAt: '',
		session: 's',
		overwrote: false,
		path,
	};
}

describe('task state machine (TaskStore, explicit clock)', () => {
	const make = (durationMs: number | null, timeoutMs?: number) => {
		const catalogs = new CatalogStore();
		catalogs.seedUser('demo');
		const store = new TaskStore(catalogs, () => undefined);
		const id = store.create({
			owner: 'demo',
			body: {},
			serviceName: 'demo.landsat_images',
			files: [fileOf('rgb-byte-tenth.tif'), fileOf('RGB.byte.tif')],
			attributes: { name: 'n' },
			durationMs,
			timeoutMs,
		});
		const t0 = Date.parse(store.info(id)?.createdDate as string);
		return { store, id, t0, catalogs };
	};
	const status = (store: TaskStore, id: string, at: number) => store.progress(id, at)?.status;

	test('Scheduled 10 %, Planning to 20 %, Executing to the end, then Completed', async () => {
		const { store, id, t0, catalogs } = make(1000);
		await store.ready(id);
		expect(status(store, id, t0)).toBe('Scheduled');
		expect(store.progress(id, t0)?.taskResult).toBeNull();
		expect(status(store, id, t0 + 99)).toBe('Scheduled');
		expect(status(store, id, t0 + 100)).toBe('Planning');
		expect(store.progress(id, t0 + 150)?.taskResult).toBeNull();
		expect(status(store, id, t0 + 200)).toBe('Executing');
		const running = store.progress(id, t0 + 700) as Record<string, unknown>;
		expect(running).toMatchObject({ status: 'Executing', stepCount: 1, currentStepObjectCount: 2 });
		const result = running.taskResult as { stepResults: Array<Record<string, unknown>> };
		expect(result.stepResults[0]).toMatchObject({ endedTime: null, inputObjectCount: 2 });
		expect(store.info(id, t0 + 700)?.startedDate).toBe(new Date(t0 + 200).toISOString());
		expect(store.info(id, t0 + 700)?.completedDate).toBeNull();
		expect(catalogs.record('demo.landsat_images')?.rasters).toHaveLength(0);

		const done = store.progress(id, t0 + 1000) as {
			status: string;
			taskResult: Record<string, unknown>;
		};
		expect(done.status).toBe('Completed');
		const tiles = pyramidTiles(79, 71) + pyramidTiles(791, 718);
		expect(done.taskResult).toMatchObject({
			inputObjectCount: 2,
			outputObjectCount: 2,
			errorCount: 0,
		});
		expect(
			(done.taskResult.stepResults as Array<{ resultDetails: Record<string, number> }>)[0]
				.resultDetails,
		).toEqual({ 'Tiles created': tiles });
		expect(store.info(id, t0 + 5000)?.completedDate).toBe(new Date(t0 + 1000).toISOString());
		expect(catalogs.record('demo.landsat_images')?.rasters.map((r) => r.fileId)).toEqual([
			'rgb-byte-tenth.tif',
			'RGB.byte.tif',
		]);
	});

	test('a timeout shorter than the duration ends the task Timeout at that time', async () => {
		const { store, id, t0 } = make(1000, 400);
		await store.ready(id);
		expect(status(store, id, t0 + 399)).toBe('Executing');
		const p = store.progress(id, t0 + 400) as { status: string; taskResult: { message: string } };
		expect(p.status).toBe('Timeout');
		expect(p.taskResult.message).toMatch(/time limit/);
		expect(store.info(id, t0 + 2000)?.completedDate).toBe(new Date(t0 + 400).toISOString());
		// A timeout longer than the duration does nothing.
		const late = make(300, 1000);
		await late.store.ready(late.id);
		expect(status(late.store, late.id, late.t0 + 300)).toBe('Completed');
	});

	test('null duration: Executing until finishTask; cancel only while running', async () => {
		const { store, id, t0 } = make(null);
		await store.ready(id);
		expect(status(store, id, t0)).toBe('Executing');
		expect(status(store, id, t0 + 86_400_000)).toBe('Executing');
		store.finish(id, 'Interrupted', 'node restarted');
		expect(store.progress(id)).toMatchObject({
			status: 'Interrupted',
			taskResult: { message: 'node restarted' },
		});
		expect(() => store.finish(id, 'Completed')).toThrow(/already ended/);
		store.cancel(id);
		expect(status(store, id, Date.now())).toBe('Interrupted');
	});
});

describe('tasks over HTTP', () => {
	let sb: Sandbox;
	let demo: Session;

	beforeAll(async () => {
		sb = await startSandbox({ taskDurationMs: 150 });
		demo = await login(sb);
		for (const name of [
			'RGB.byte.tif',
			'cogeo.tif',
			'corrupt.tif',
			'float32.tif',
			'all-nodata.tif',
			'world.byte.tif',
			'rgb-byte-tenth.tif',
		]) {
			await upload(sb, demo, name, raster(name));
		}
		// Not rasters: a PNG and a text file.
		await upload(sb, demo, 'picture.png', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
		await upload(sb, demo, 'notes.tif', 'just some text, named .tif');
		await upload(sb, demo, 'empty.tif', '');
	});
	afterAll(() => sb.close());

	test('every valid fixture completes, with its pyramid tile count', async () => {
		const sizes: Record<string, [number, number]> = {
			'RGB.byte.tif': [791, 718],
			'cogeo.tif': [1024, 1024],
			'float32.tif': [3, 2],
			'all-nodata.tif': [71, 2475],
			'world.byte.tif': [2880, 1200],
			'rgb-byte-tenth.tif': [79, 71],
		};
		for (const [name, [w, h]] of Object.entries(sizes)) {
			const created = await createTask(sb, demo, docsTilingBody('demo', [name]));
			const done = await waitForEnd(sb, demo, created.body.taskId as string);
			expect({ name, status: done.status }).toEqual({ name, status: 'Completed' });
			const step = (
				done.taskResult as { stepResults: Array<{ resultDetails: Record<string, number> }> }
			).stepResults[0];
			expect(step.resultDetails['Tiles created']).toBe(pyramidTiles(w, h));
		}
		expect(pyramidTiles(1024, 1024)).toBe(16 + 4 + 1);
	});

	test('corrupt.tif fails naming the file and the damage', async () => {
		const created = await createTask(
			sb,
			demo,
			docsTilingBody('demo', ['rgb-byte-tenth.tif', 'corrupt.tif']),
		);
		const done = await waitForEnd(sb, demo, created.body.taskId as string);
		const message =
			"File 'corrupt.tif' is damaged: tile 4 of image 1 ends at byte 307086, past the end of the file (298232 bytes)";
		expect(done.status).toBe('Failed');
		expect(done.taskResult).toEqual({
			message,
			stepResults: [
				expect.objectContaining({
					batchErrors: [message],
					errorCount: 1,
					inputObjectCount: 2,
					outputObjectCount: 0,
					resultDetails: null,
				}),
			],
			inputObjectCount: 2,
			errorCount: 1,
			outputObjectCount: 0,
		});
		// Nothing of a failed task lands in the catalog.
		expect(
			sb.catalog('demo.landsat_images')?.rasters.some((r) => r.taskId === created.body.taskId),
		).toBe(false);
	});

	test('a PNG, a text file and an empty file fail as not being rasters', async () => {
		const expected: Record<string, string> = {
			'picture.png': "File 'picture.png' is not a GeoTIFF raster: unknown file signature",
			'notes.tif': "File 'notes.tif' is not a GeoTIFF raster: unknown file signature",
			'empty.tif': "File 'empty.tif' is not a GeoTIFF raster: the file is empty",
		};
		for (const [name, message] of Object.entries(expected)) {
			const created = await createTask(sb, demo, docsTilingBody('demo', [name]));
			const done = await waitForEnd(sb, demo, created.body.taskId as string);
			expect(done).toMatchObject({ status: 'Failed', taskResult: { message } });
		}
	});

	test('live phases, and finishTask for the trigger tests', async () => {
		sb.setOptions({ taskDurationMs: 6000 });
		try {
			const created = await createTask(sb, demo, docsTilingBody('demo', ['float32.tif']));
			const id = created.body.taskId as string;
			const t0 = Date.parse(sb.tasks().find((t) => t.id === id)?.createdAt as string);
			const at = async (ms: number) => {
				await sleep(Math.max(0, t0 + ms - Date.now()));
				return (await call(sb, demo, 'GET', `/scheduler/tasks/${id}/progress`)).body.status;
			};
			expect(await at(0)).toBe('Scheduled');
			expect(await at(900)).toBe('Planning');
			expect(await at(1500)).toBe('Executing');
			sb.finishTask(id, 'Failed', 'disk full');
			const p = await call(sb, demo, 'GET', `/scheduler/tasks/${id}/progress`);
			expect(p.body).toMatchObject({
				status: 'Failed',
				taskResult: { message: 'disk full', errorCount: 1 },
			});
			expect(() => sb.finishTask(id, 'Completed')).toThrow();
			expect(sb.tasks().find((t) => t.id === id)).toMatchObject({
				status: 'Failed',
				owner: 'demo',
				type: 'tiling',
			});
		} finally {
			sb.setOptions({ taskDurationMs: 150 });
		}
	});

	test('finishTask statuses, and a Completed one adds the rasters', async () => {
		sb.setOptions({ taskDurationMs: null });
		try {
			for (const status of ['Completed', 'Timeout', 'Error', 'Interrupted'] as const) {
				const created = await createTask(sb, demo, docsTilingBody('demo', ['world.byte.tif']));
				const id = created.body.taskId as string;
				await sleep(20);
				expect((await call(sb, demo, 'GET', `/scheduler/tasks/${id}/progress`)).body.status).toBe(
					'Executing',
				);
				sb.finishTask(id, status);
				const p = await call(sb, demo, 'GET', `/scheduler/tasks/${id}/progress`);
				expect(p.body.status).toBe(status);
				if (status === 'Completed') {
					expect(sb.catalog('demo.landsat_images')?.rasters).toContainEqual(
						expect.objectContaining({
							fileId: 'world.byte.tif',
							taskId: id,
							tiles: pyramidTiles(2880, 1200),
						}),
					);
				}
			}
			expect(() => sb.finishTask('no-such-task', 'Completed')).toThrow(/no task/);
		} finally {
			sb.setOptions({ taskDurationMs: 150 });
		}
	});

	test('another user’s task and unknown ids are 404 everywhere', async () => {
		const created = await createTask(sb, demo, docsTilingBody('demo', ['float32.tif']));
		const id = created.body.taskId as string;
		const alice = await login(sb, 'alice');
		for (const [method, path] of [
			['GET', `/scheduler/tasks/${id}/progress`],
			['GET', `/scheduler/tasks/${id}`],
			['POST', `/scheduler/tasks/${id}/cancel`],
			['GET', '/scheduler/tasks/00000000-0000-0000-0000-000000000000/progress'],
		]) {
			const res = await call(sb, alice, method, path);
			expect({ path, status: res.status }).toEqual({ path, status: 404 });
			expect(res.body.errorType).toBe('ResourceNotFound');
		}
		// alice's cancel did not cancel demo's task.
		expect((await waitForEnd(sb, demo, id)).status).toBe('Completed');
	});

	test('cancel of a finished task answers its unchanged progress', async () => {
		const created = await createTask(sb, demo, docsTilingBody('demo', ['float32.tif']));
		const id = created.body.taskId as string;
		const done = await waitForEnd(sb, demo, id);
		const res = await call(sb, demo, 'POST', `/scheduler/tasks/${id}/cancel`);
		expect(res.status).toBe(200);
		expect(res.body).toEqual(done);
	});

	test('many tasks stay cheap (status is computed when looked at)', async () => {
		sb.setOptions({ taskDurationMs: 60_000 });
		try {
			const started = Date.now();
			await Promise.all(
				Array.from({ length: 300 }, () =>
					createTask(sb, demo, docsTilingBody('demo', ['float32.tif'])),
				),
			);
			const t = Date.now();
			expect(sb.tasks().length).toBeGreaterThanOrEqual(300);
			expect(Date.now() - t).toBeLessThan(500);
			expect(Date.now() - started).toBeLessThan(15_000);
		} finally {
			sb.setOptions({ taskDurationMs: 150 });
		}
	});
});

describe('raster check (tiff.ts)', () => {
	let dir: string;
	beforeAll(() => {
		dir = mkdtempSync(join(tmpdir(), 'evergis-tiff-'));
	});
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	const write = (name: string, data: Buffer): string => {
		const path = join(dir, name);
		writeFileSync(path, data);
		return path;
	};

	test('valid fixtures pass with their sizes', async () => {
		expect(await checkRaster(join(RASTERS, 'cogeo.tif'), 'cogeo.tif')).toEqual({
			ok: true,
			width: 1024,
			height: 1024,
			images: 14,
			tiles: 21,
		});
		expect(await checkRaster(join(RASTERS, 'RGB.byte.tif'), 'x')).toMatchObject({
			ok: true,
			width: 791,
			height: 718,
		});
	});

	test('a JPEG tile that does not start with FF D8 is damage', async () => {
		const data = raster('cogeo.tif');
		// Tile 2 of image 1 starts at byte 169310 (see the fixture's TileOffsets).
		data[169310] = 0;
		const path = write('badjpeg.tif', data);
		expect(await checkRaster(path, 'badjpeg.tif')).toEqual({
			ok: false,
			message:
				"File 'badjpeg.tif' is damaged: tile 2 of image 1 is JPEG-compressed but does not start with a JPEG marker",
		});
	});

	test('truncated files, a directory loop and missing tags', async () => {
		const full = raster('rgb-byte-tenth.tif');
		const truncated = write('trunc.tif', full.subarray(0, 1000));
		const r = await checkRaster(truncated, 'trunc.tif');
		expect(r).toMatchObject({ ok: false });
		expect((r as { message: string }).message).toMatch(
			/^File 'trunc.tif' is damaged: .*past the end of the file \(1000 bytes\)/,
		);

		// A minimal little-endian TIFF with one directory; variants below break it.
		const tiff = (entries: Array<[number, number, number, number]>, next = 0): Buffer => {
			const b = Buffer.alloc(8 + 2 + entries.length * 12 + 4 + 16);
			b.write('II', 0, 'latin1');
			b.writeUInt16LE(42, 2);
			b.writeUInt32LE(8, 4);
			b.writeUInt16LE(entries.length, 8);
			entries.forEach(([tag, type, count, value], i) => {
				const o = 10 + i * 12;
				b.writeUInt16LE(tag, o);
				b.writeUInt16LE(type, o + 2);
				b.writeUInt32LE(count, o + 4);
				b.writeUInt32LE(value, o + 8);
			});
			b.writeUInt32LE(next, 10 + entries.length * 12);
			return b;
		};
		const dataAt = 8 + 2 + 4 * 12 + 4;
		const good: Array<[number, number, number, number]> = [
			[256, 3, 1, 4],
			[257, 3, 1, 4],
			[273, 4, 1, dataAt],
			[279, 4, 1, 16],
		];
		expect(await checkRaster(write('mini.tif', tiff(good)), 'mini.tif')).toMatchObject({
			ok: true,
			width: 4,
			height: 4,
		});
		expect(await checkRaster(write('loop.tif', tiff(good, 8)), 'loop.tif')).toEqual({
			ok: false,
			message: "File 'loop.tif' is damaged: the directory of image 2 loops back",
		});
		expect(await checkRaster(write('nowidth.tif', tiff(good.slice(1))), 'nowidth.tif')).toEqual({
			ok: false,
			message: "File 'nowidth.tif' is damaged: image 1 has no ImageWidth",
		});
		const zero = good.map((e): [number, number, number, number] =>
			e[0] === 257 ? [257, 3, 1, 0] : e,
		);
		expect(await checkRaster(write('zero.tif', tiff(zero)), 'zero.tif')).toMatchObject({
			ok: false,
			message: expect.stringMatching(/image 1 is 4×0 pixels/),
		});
		const nostrips = good.filter((e) => e[0] !== 273);
		expect(await checkRaster(write('nostrips.tif', tiff(nostrips)), 'nostrips.tif')).toMatchObject({
			message: expect.stringMatching(/image 1 has no StripOffsets/),
		});
		const farIfd = tiff(good);
		farIfd.writeUInt32LE(1_000_000, 4);
		expect(await checkRaster(write('far.tif', farIfd), 'far.tif')).toMatchObject({
			message: expect.stringMatching(
				/the directory of image 1 ends at byte .* past the end of the file/,
			),
		});
	});

	test('BigTIFF is read too', async () => {
		// Header (16) + directory: count (8) + 4 entries × 20 + next (8) + 16 bytes of strip.
		const entries: Array<[number, number, number, number]> = [
			[256, 3, 1, 300],
			[257, 3, 1, 200],
			[273, 16, 1, 16 + 8 + 80 + 8],
			[279, 16, 1, 16],
		];
		const b = Buffer.alloc(16 + 8 + entries.length * 20 + 8 + 16);
		b.write('II', 0, 'latin1');
		b.writeUInt16LE(43, 2);
		b.writeUInt16LE(8, 4);
		b.writeUInt16LE(0, 6);
		b.writeBigUInt64LE(16n, 8);
		b.writeBigUInt64LE(BigInt(entries.length), 16);
		entries.forEach(([tag, type, count, value], i) => {
			const o = 24 + i * 20;
			b.writeUInt16LE(tag, o);
			b.writeUInt16LE(type, o + 2);
			b.writeBigUInt64LE(BigInt(count), o + 4);
			if (type === 3) b.writeUInt16LE(value, o + 12);
			else b.writeBigUInt64LE(BigInt(value), o + 12);
		});
		expect(await checkRaster(write('big.tif', b), 'big.tif')).toEqual({
			ok: true,
			width: 300,
			height: 200,
			images: 1,
			tiles: pyramidTiles(300, 200),
		});
		// Big-endian classic header with a bad magic number.
		expect(
			await checkRaster(write('mm.tif', Buffer.from('4d4d002b00000008', 'hex')), 'mm.tif'),
		).toMatchObject({
			ok: false,
		});
	});
});
