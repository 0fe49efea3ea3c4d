import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { TestEngine } from '../helpers/engine';
import { fixture, tilingWorkflow, uploadParameters } from '../helpers/workflows';

let sandbox: Sandbox;
let engine: TestEngine;

beforeAll(async () => {
	// The docs' own user and catalog: username.landsat_images (seeded with name and dateofimage).
	sandbox = await startSandbox({
		taskDurationMs: 200,
		users: [
			{ username: 'username', password: 'password' },
			{ username: 'demo', password: 'demo-password' },
		],
	});
	engine = await TestEngine.create();
});
let taskMark = 0;
let uploadMark = 0;
beforeEach(() => {
	engine.setCredentials('cred-1', {
		host: sandbox.url,
		username: 'username',
		password: 'password',
	});
	sandbox.resetStats();
	taskMark = sandbox.tasks().length;
	uploadMark = sandbox.uploads().length;
});
/** What this test made (the sandbox keeps everything since it started). */
const tasks = () => sandbox.tasks().slice(taskMark);
const uploads = () => sandbox.uploads().slice(uploadMark);
afterAll(async () => await sandbox.close());

const fast = { pollInterval: 0.1 };
const tenth = fixture('rgb-byte-tenth.tif');

describe('Raster → Upload to Catalog', () => {
	test("the docs' example: landsat_test_image.tif into username.landsat_images sends exactly the documented body", async () => {
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('username.landsat_images', {
					attributesMode: 'fields',
					attributes: {
						attribute: [
							{ name: 'name', value: 'Снимок Landsat-8' },
							{ name: 'dateofimage', value: '2023-12-08T12:00:00+00:00' },
						],
					},
					options: { ...fast, keepOriginalNames: true },
				}),
				[
					{
						files: { data: { path: fixture('RGB.byte.tif'), fileName: 'landsat_test_image.tif' } },
					},
				],
			),
		);
		expect(result.error).toBeUndefined();
		const [task] = tasks();
		// tiling.md, "Пример": the Python request of the docs.
		expect(task.body).toEqual({
			files: ['landsat_test_image.tif'],
			attributes: { name: 'Снимок Landsat-8', dateofimage: '2023-12-08T12:00:00+00:00' },
			polygonize: false,
			target: {
				type: 'tileFeatureLayerTaskDataStorage',
				serviceName: 'username.landsat_images',
				createNewService: false,
			},
			useCog: true,
		});
		const [item] = result.output('EverGIS');
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toMatchObject({
			taskId: task.id,
			status: 'Completed',
			succeeded: true,
			serviceName: 'username.landsat_images',
			files: [
				{
					name: 'landsat_test_image.tif',
					fileId: 'landsat_test_image.tif',
					binaryProperty: 'data',
					size: 1745956,
				},
			],
			attributes: { name: 'Снимок Landsat-8', dateofimage: '2023-12-08T12:00:00+00:00' },
			errorCount: 0,
		});
		expect(item.json.tilesCreated).toBeGreaterThan(0);
		expect(Date.parse(item.json.submittedAt as string)).toBeLessThanOrEqual(
			Date.parse(item.json.finishedAt as string),
		);
		expect(item.binary).toBeUndefined();
		// The catalog has the raster, and the upload arrived whole.
		expect(
			sandbox.catalog('username.landsat_images')?.rasters.map((raster) => raster.fileId),
		).toContain('landsat_test_image.tif');
		expect(uploads().find((upload) => upload.fileId === 'landsat_test_image.tif')?.size).toBe(
			1745956,
		);
		const stats = sandbox.stats();
		expect([stats.logins, stats.requests.upload, stats.requests.createTask]).toEqual([1, 1, 1]);
	});

	test('several items with several files: one task per file, output in input order, each paired with its item', async () => {
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('username.landsat_images', {
					binaryProperties: 'data, extra',
					options: fast,
				}),
				[
					{ json: { n: 0 }, files: { data: tenth, extra: fixture('float32.tif') } },
					{
						json: { n: 1 },
						files: { data: fixture('cogeo.tif'), extra: fixture('world.byte.tif') },
					},
					{ json: { n: 2 }, files: { data: fixture('all-nodata.tif'), extra: tenth } },
				],
			),
		);
		expect(result.error).toBeUndefined();
		const items = result.output('EverGIS');
		expect(
			items.map((item) => [item.pairedItem, (item.json.files as Array<{ name: string }>)[0].name]),
		).toEqual([
			[{ item: 0 }, 'rgb-byte-tenth.tif'],
			[{ item: 0 }, 'float32.tif'],
			[{ item: 1 }, 'cogeo.tif'],
			[{ item: 1 }, 'world.byte.tif'],
			[{ item: 2 }, 'all-nodata.tif'],
			[{ item: 2 }, 'rgb-byte-tenth.tif'],
		]);
		expect(items.every((item) => item.json.status === 'Completed')).toBe(true);
		expect(tasks()).toHaveLength(6);
		expect(tasks().every((task) => (task.body as { files: string[] }).files.length === 1)).toBe(
			true,
		);
		expect(sandbox.stats().logins).toBe(1);
	});

	test('one task per item puts all its files in one task with the same attributes', async () => {
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('username.landsat_images', {
					inputSource: 'allBinary',
					taskPer: 'item',
					attributesMode: 'json',
					attributesJson: '{"name": "pair"}',
					options: fast,
				}),
				[{ files: { a: tenth, b: fixture('float32.tif') } }],
			),
		);
		expect(result.error).toBeUndefined();
		const [task] = tasks();
		const body = task.body as { files: string[]; attributes: object };
		expect(body.files).toHaveLength(2);
		expect(body.files[0]).toMatch(/^rgb-byte-tenth_[0-9a-f]{12}\.tif$/);
		expect(body.files[1]).toMatch(/^float32_[0-9a-f]{12}\.tif$/);
		expect(body.attributes).toEqual({ name: 'pair' });
		expect(result.output('EverGIS')).toHaveLength(1);
	});

	test('two items with the same file name get different upload names, and neither overwrites the other', async () => {
		const result = await engine.run(
			tilingWorkflow(uploadParameters('username.landsat_images', { options: fast }), [
				{ files: { data: { path: tenth, fileName: 'image.tif' } } },
				{ files: { data: { path: fixture('cogeo.tif'), fileName: 'image.tif' } } },
			]),
		);
		expect(result.error).toBeUndefined();
		const fileIds = tasks().map((task) => (task.body as { files: string[] }).files[0]);
		expect(new Set(fileIds).size).toBe(2);
		const sizes = uploads()
			.map((upload) => upload.size)
			.sort((a, b) => a - b);
		expect(sizes).toEqual([17449, 298232]);
	});

	test('Wait for Completion off: returns at once with the task IDs, asks no progress', async () => {
		sandbox.setOptions({ taskDurationMs: 5000 });
		try {
			const result = await engine.run(
				tilingWorkflow(uploadParameters('username.landsat_images', { waitForCompletion: false }), [
					{ files: { data: tenth } },
					{ files: { data: tenth } },
				]),
			);
			expect(result.error).toBeUndefined();
			const items = result.output('EverGIS');
			expect(items.map((item) => item.json.status)).toEqual(['Scheduled', 'Scheduled']);
			// Items run concurrently: the sandbox may have made the two tasks in either order.
			expect(items.map((item) => item.json.taskId).sort()).toEqual(
				tasks()
					.map((task) => task.id)
					.sort(),
			);
			expect(items[0].json).toMatchObject({
				finished: false,
				taskResult: null,
				tilesCreated: null,
			});
			expect(sandbox.stats().requests.progress).toBe(0);
		} finally {
			sandbox.setOptions({ taskDurationMs: 200 });
		}
	});

	test('attribute values from expressions keep their JSON types', async () => {
		engine.setCredentials('cred-1', {
			host: sandbox.url,
			username: 'demo',
			password: 'demo-password',
		});
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('demo.drone_orthophotos', {
					attributes: {
						attribute: [
							{ name: 'name', value: '={{ $json.title }}' },
							{ name: 'altitude_m', value: '={{ $json.altitude }}' },
							{ name: 'flight_date', value: '={{ $json.date }}' },
							{ name: 'operator', value: '={{ null }}' },
						],
					},
					options: fast,
				}),
				[
					{
						json: { title: 'Field 7', altitude: 120.5, date: '2024-05-01T09:00:00Z' },
						files: { data: tenth },
					},
				],
			),
		);
		expect(result.error).toBeUndefined();
		expect((tasks()[0].body as { attributes: object }).attributes).toEqual({
			name: 'Field 7',
			altitude_m: 120.5,
			flight_date: '2024-05-01T09:00:00Z',
			operator: null,
		});
		expect(result.output('EverGIS')[0].json.attributes).toEqual({
			name: 'Field 7',
			altitude_m: 120.5,
			flight_date: '2024-05-01T09:00:00Z',
			operator: null,
		});
	});

	test('files already in temporary storage (File → Upload first) are not uploaded again', async () => {
		const uploaded = await engine.run(
			tilingWorkflow({ resource: 'file', operation: 'upload' }, [{ files: { data: tenth } }]),
		);
		expect(uploaded.error).toBeUndefined();
		const [file] = uploaded.output('EverGIS');
		expect(file.json).toMatchObject({
			name: 'rgb-byte-tenth.tif',
			binaryProperty: 'data',
			size: 17449,
			url: null,
		});
		const fileId = file.json.fileId as string;
		expect(uploads().map((upload) => upload.fileId)).toEqual([fileId]);
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('username.landsat_images', {
					inputSource: 'storage',
					fileIds: fileId,
					options: fast,
				}),
				[{}],
			),
		);
		expect(result.error).toBeUndefined();
		expect(result.output('EverGIS')[0].json).toMatchObject({
			status: 'Completed',
			files: [{ name: fileId, fileId }],
		});
		expect(sandbox.stats().requests.upload).toBe(1);
	});

	test('Max Zoom Level: added and left at its default 0, nothing is sent; set to 12, 12 is sent', async () => {
		for (const [maxZoomLevel, sent] of [
			[0, undefined],
			[12, 12],
		] as const) {
			const result = await engine.run(
				tilingWorkflow(
					uploadParameters('username.landsat_images', { options: { ...fast, maxZoomLevel } }),
				),
			);
			expect(result.error).toBeUndefined();
			const body = tasks().at(-1)!.body;
			if (sent === undefined) expect(body).not.toHaveProperty('maxZoomLevel');
			else expect(body.maxZoomLevel).toBe(sent);
		}
	});

	test('Include Binary Data in Output keeps the input binary', async () => {
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('username.landsat_images', { options: { ...fast, keepBinary: true } }),
			),
		);
		expect(result.output('EverGIS')[0].binary?.data?.fileName).toBe('rgb-byte-tenth.tif');
	});

	test('a new catalog (createNewService) with its configuration', async () => {
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('username.new_mosaics', {
					createNewService: true,
					attributesConfiguration: JSON.stringify({
						attributes: [{ attributeName: 'name', type: 'String' }],
					}),
					attributes: { attribute: [{ name: 'name', value: 'first' }] },
					options: { ...fast, maxZoomLevel: 12 },
				}),
			),
		);
		expect(result.error).toBeUndefined();
		const body = tasks()[0].body as { target: object; maxZoomLevel: number };
		expect(body.target).toEqual({
			type: 'tileFeatureLayerTaskDataStorage',
			serviceName: 'username.new_mosaics',
			createNewService: true,
			attributesConfiguration: { attributes: [{ attributeName: 'name', type: 'String' }] },
		});
		expect(body.maxZoomLevel).toBe(12);
		expect(sandbox.catalog('username.new_mosaics')?.rasters).toHaveLength(1);
	});

	test('a damaged raster fails its item with the server message; other items complete (Continue On Fail)', async () => {
		const workflow = tilingWorkflow(
			uploadParameters('username.landsat_images', { options: fast }),
			[
				{ files: { data: tenth } },
				{ files: { data: fixture('corrupt.tif') } },
				{ files: { data: tenth } },
			],
			{ continueOnFail: true },
		);
		const result = await engine.run(workflow);
		expect(result.error).toBeUndefined();
		const items = result.output('EverGIS');
		expect(items).toHaveLength(3);
		expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(items[0].json.status).toBe('Completed');
		expect(items[2].json.status).toBe('Completed');
		expect(items[1].json.error).toMatch(
			/^Tiling task \S+ ended Failed: File '.*corrupt.*\.tif' is damaged/,
		);
		expect(items[1].json).toMatchObject({
			serviceName: 'username.landsat_images',
			files: ['corrupt.tif'],
		});
	});

	test('a damaged raster without Continue On Fail fails the node, naming the task and file', async () => {
		const result = await engine.run(
			tilingWorkflow(uploadParameters('username.landsat_images', { options: fast }), [
				{ files: { data: fixture('corrupt.tif') } },
			]),
		);
		expect(result.error?.message).toMatch(/^Tiling task \S+ ended Failed: File '.*' is damaged/);
		expect(result.error?.description).toMatch(/Files: corrupt\.tif/);
	});

	test('Output Failed Tasks as Items passes a failed task on as an item', async () => {
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('username.landsat_images', {
					options: { ...fast, outputFailedTasks: true },
				}),
				[{ files: { data: fixture('corrupt.tif') } }],
			),
		);
		expect(result.error).toBeUndefined();
		expect(result.output('EverGIS')[0].json).toMatchObject({
			status: 'Failed',
			failed: true,
			succeeded: false,
		});
		expect(result.output('EverGIS')[0].json.message).toMatch(/damaged/);
	});

	test('50 items: one login, exactly one upload and one task per item', async () => {
		const items = Array.from({ length: 50 }, (_, n) => ({ json: { n }, files: { data: tenth } }));
		const result = await engine.run(
			tilingWorkflow(
				uploadParameters('username.landsat_images', { options: { ...fast, concurrency: 8 } }),
				items,
			),
		);
		expect(result.error).toBeUndefined();
		const out = result.output('EverGIS');
		expect(out.map((item) => item.pairedItem)).toEqual(items.map((_, n) => ({ item: n })));
		expect(out.every((item) => item.json.status === 'Completed')).toBe(true);
		const stats = sandbox.stats();
		expect(stats.logins).toBe(1);
		expect(stats.requests.upload).toBe(50);
		expect(stats.requests.createTask).toBe(50);
		expect(stats.tasksCreated).toBe(50);
	});
});
