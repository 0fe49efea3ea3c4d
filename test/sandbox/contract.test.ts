import { startSandbox, type Sandbox } from '../../sandbox';
import {
	call,
	createTask,
	docsTilingBody,
	login,
	raster,
	upload,
	waitForEnd,
	type Session,
} from './helpers/client';

// The docs' own examples, answered with the documented shapes.

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('sandbox contract (docs examples)', () => {
	let sb: Sandbox;
	let demo: Session;

	beforeAll(async () => {
		sb = await startSandbox({ taskDurationMs: 300 });
		demo = await login(sb);
	});
	afterAll(() => sb.close());

	test('login answers LoginResultDc and sets the jwt and refreshToken cookies', async () => {
		const res = await fetch(`${sb.url}/account/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ username: 'demo', password: 'demo-password' }),
		});
		expect(res.status).toBe(200);
		const body = (await res.json()) as Record<string, unknown>;
		expect(Object.keys(body).sort()).toEqual(['redirectUrl', 'refreshToken', 'token', 'username']);
		expect(body.username).toBe('demo');
		expect(body.redirectUrl).toBeNull();
		expect(typeof body.token).toBe('string');
		expect((body.token as string).split('.')).toHaveLength(3);
		const cookies = res.headers.getSetCookie();
		expect(cookies).toContain(`jwt=${body.token as string}; Path=/; HttpOnly`);
		expect(cookies).toContain(`refreshToken=${body.refreshToken as string}; Path=/; HttpOnly`);
		const payload = JSON.parse(
			Buffer.from((body.token as string).split('.')[1], 'base64url').toString(),
		) as Record<string, unknown>;
		expect(payload).toMatchObject({ sub: 'demo' });
		expect(typeof payload.sid).toBe('string');
		expect(payload.exp as number).toBeGreaterThan(payload.iat as number);
	});

	test('upload answers {fileId, url} (plus the spec’s resourceId/sourceId as null)', async () => {
		const r = await upload(sb, demo, 'road_density.zip', 'PK fake zip', { rewrite: true });
		expect(r.status).toBe(200);
		expect(r.body).toEqual({
			fileId: 'road_density.zip',
			url: null,
			resourceId: null,
			sourceId: null,
		});
	});

	test('the tiling example: create, progress to Completed, task info', async () => {
		const up = await upload(sb, demo, 'landsat_test_image.tif', raster('RGB.byte.tif'), {
			rewrite: true,
		});
		expect(up.body.fileId).toBe('landsat_test_image.tif');

		const created = await createTask(sb, demo, docsTilingBody('demo'));
		expect(created.status).toBe(200);
		expect(Object.keys(created.body).sort()).toEqual([
			'owner',
			'status',
			'taskId',
			'taskResult',
			'type',
		]);
		expect(created.body).toMatchObject({
			type: null,
			owner: null,
			status: 'Scheduled',
			taskResult: null,
		});
		const taskId = created.body.taskId as string;
		expect(taskId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

		const done = await waitForEnd(sb, demo, taskId);
		expect(Object.keys(done).sort()).toEqual(
			[
				'id',
				'status',
				'taskResult',
				'stepCount',
				'currentStepId',
				'currentStepAlreadyDone',
				'currentStepObjectCount',
				'resultDetails',
			].sort(),
		);
		expect(done).toMatchObject({
			id: taskId,
			status: 'Completed',
			stepCount: 0,
			currentStepId: 0,
			currentStepAlreadyDone: 0,
			currentStepObjectCount: 0,
			resultDetails: null,
		});
		const result = done.taskResult as Record<string, unknown>;
		expect(Object.keys(result).sort()).toEqual(
			['message', 'stepResults', 'inputObjectCount', 'errorCount', 'outputObjectCount'].sort(),
		);
		expect(result).toMatchObject({
			message: null,
			inputObjectCount: 1,
			errorCount: 0,
			outputObjectCount: 1,
		});
		const steps = result.stepResults as Array<Record<string, unknown>>;
		expect(steps).toHaveLength(1);
		expect(Object.keys(steps[0]).sort()).toEqual(
			[
				'stepName',
				'inputSource',
				'outSource',
				'startedTime',
				'endedTime',
				'batchErrors',
				'batchCount',
				'inputObjectCount',
				'errorCount',
				'outputObjectCount',
				'resultDetails',
			].sort(),
		);
		expect(steps[0]).toMatchObject({
			stepName: null,
			inputSource: null,
			outSource: null,
			batchErrors: null,
			batchCount: 1,
			inputObjectCount: 1,
			errorCount: 0,
			outputObjectCount: 1,
		});
		expect(steps[0].startedTime).toMatch(ISO);
		expect(steps[0].endedTime).toMatch(ISO);
		const tiles = (steps[0].resultDetails as Record<string, number>)['Tiles created'];
		// 791×718 px: 4×3 + 2×2 + 1 tiles of 256 px.
		expect(tiles).toBe(17);

		// Task info at the tiling page's pattern (the default dialect; no page shows it there).
		const info = await call(sb, demo, 'GET', `/scheduler/tasks/${taskId}`);
		expect(info.status).toBe(200);
		expect(Object.keys(info.body).sort()).toEqual(
			['id', 'owner', 'status', 'parameters', 'createdDate', 'startedDate', 'completedDate'].sort(),
		);
		expect(info.body).toMatchObject({ id: taskId, owner: 'demo', status: 'Completed' });
		expect(info.body.parameters).toEqual({ type: 'tiling', ...docsTilingBody('demo') });
		for (const k of ['createdDate', 'startedDate', 'completedDate'])
			expect(info.body[k]).toMatch(ISO);

		// The reference page's paths are not served by this dialect: ASP.NET's empty 404.
		for (const path of [`/scheduler/${taskId}/progress`, `/scheduler/${taskId}`]) {
			const other = await call(sb, demo, 'GET', path);
			expect({ path, status: other.status, text: other.text }).toEqual({
				path,
				status: 404,
				text: '',
			});
		}

		// The raster is now in the catalog with the task's attributes.
		const catalog = sb.catalog('demo.landsat_images');
		expect(catalog?.rasters).toContainEqual({
			fileId: 'landsat_test_image.tif',
			attributes: docsTilingBody().attributes,
			tiles: 17,
			taskId,
		});
	});

	test('cancel answers the progress shape with the documented message', async () => {
		sb.setOptions({ taskDurationMs: null });
		try {
			await upload(sb, demo, 'to_cancel.tif', raster('float32.tif'), { rewrite: true });
			const created = await createTask(sb, demo, docsTilingBody('demo', ['to_cancel.tif']));
			const id = created.body.taskId as string;
			const res = await call(sb, demo, 'POST', `/scheduler/tasks/${id}/cancel`);
			expect(res.status).toBe(200);
			expect(res.body).toEqual({
				id,
				status: 'Canceled',
				taskResult: {
					message: 'Cancelled by external request.',
					stepResults: null,
					inputObjectCount: 0,
					errorCount: 0,
					outputObjectCount: 0,
				},
				stepCount: 0,
				currentStepId: 0,
				currentStepAlreadyDone: 0,
				currentStepObjectCount: 0,
				resultDetails: null,
			});
			// Cancelling again changes nothing.
			const again = await call(sb, demo, 'POST', `/scheduler/tasks/${id}/cancel`);
			expect(again.status).toBe(200);
			expect(again.body).toEqual(res.body);
			const info = await call(sb, demo, 'GET', `/scheduler/tasks/${id}`);
			expect(info.body.status).toBe('Canceled');
			expect(info.body.completedDate).toMatch(ISO);
		} finally {
			sb.setOptions({ taskDurationMs: 300 });
		}
	});

	test('layers list: the documented item shape, paging fields and filters', async () => {
		const res = await call(sb, demo, 'GET', '/layers');
		expect(res.status).toBe(200);
		expect(Object.keys(res.body).sort()).toEqual(['items', 'limit', 'offset', 'totalCount']);
		expect(res.body).toMatchObject({ totalCount: 3, offset: 0, limit: 20 });
		const items = res.body.items as Array<Record<string, unknown>>;
		for (const key of [
			'name',
			'type',
			'alias',
			'description',
			'owner',
			'ownerName',
			'createdDate',
			'changedDate',
			'permissions',
			'preview',
			'geometryType',
			'objectCount',
			'dataSourceType',
			'tags',
			'invisibleInCatalog',
		]) {
			expect(items[0]).toHaveProperty(key);
		}
		const landsat = items.find((i) => i.name === 'demo.landsat_images');
		expect(landsat).toMatchObject({
			type: 'PostgresTileCatalogService',
			alias: 'Снимки Landsat',
			owner: 'demo',
			ownerName: null,
			permissions: 'read,write,configure',
			preview: null,
			geometryType: 'polygon',
			dataSourceType: 'Table',
			tags: null,
			invisibleInCatalog: false,
		});

		const catalogs = await call(
			sb,
			demo,
			'GET',
			'/layers?types=PostgresTileCatalogService&group=my',
		);
		expect((catalogs.body.items as Array<{ name: string }>).map((i) => i.name).sort()).toEqual([
			'demo.drone_orthophotos',
			'demo.landsat_images',
		]);
		const vector = await call(sb, demo, 'GET', '/layers?types=PostgresLayerService');
		expect((vector.body.items as Array<{ name: string }>).map((i) => i.name)).toEqual([
			'demo.roads',
		]);

		const names = async (q: string): Promise<string[]> =>
			((await call(sb, demo, 'GET', `/layers?${q}`)).body.items as Array<{ name: string }>).map(
				(i) => i.name,
			);
		expect(await names(`filter=${encodeURIComponent('^снимки')}`)).toEqual(['demo.landsat_images']);
		expect(await names(`filter=${encodeURIComponent('@ORTHO')}`)).toEqual([
			'demo.drone_orthophotos',
		]);
		expect(await names('filter=landsat')).toEqual(['demo.landsat_images']);
		expect(await names(`filter=${encodeURIComponent('^photos')}`)).toEqual([]);
		expect(await names('names=demo.roads,demo.landsat_images')).toEqual([
			'demo.landsat_images',
			'demo.roads',
		]);
		const page = await call(sb, demo, 'GET', '/layers?offset=1&limit=1');
		expect(page.body).toMatchObject({ totalCount: 3, offset: 1, limit: 1 });
		expect(page.body.items).toHaveLength(1);
		// Other users' public layers (the seeded roads of every user).
		const pub = await names('group=public&types=PostgresLayerService');
		expect(pub.sort()).toEqual(['alice.roads', 'demo.roads']);
		expect(await names('group=role')).toEqual(['alice.roads']);
		expect((await call(sb, demo, 'GET', '/layers?group=nobody')).status).toBe(400);
		expect((await call(sb, demo, 'GET', '/layers?limit=-1')).status).toBe(400);
	});

	test("a catalog shared with another user (a role): listed under group=role with the share's permissions; loadable only with write", async () => {
		const sandbox = await startSandbox({ taskDurationMs: 50 });
		try {
			const user = await login(sandbox);
			const shared = async () =>
				(await call(sandbox, user, 'GET', '/layers?types=PostgresTileCatalogService&group=role'))
					.body.items as Array<{ name: string; permissions: string }>;
			expect(await shared()).toEqual([]);
			expect((await call(sandbox, user, 'GET', '/layers/alice.landsat_images')).status).toBe(403);
			sandbox.shareCatalog('alice.landsat_images', 'demo', 'read');
			expect(await shared()).toMatchObject([{ name: 'alice.landsat_images', permissions: 'read' }]);
			expect((await call(sandbox, user, 'GET', '/layers/alice.landsat_images')).status).toBe(200);
			expect(
				(await upload(sandbox, user, 'landsat_test_image.tif', raster('rgb-byte-tenth.tif')))
					.status,
			).toBe(200);
			const body = {
				...docsTilingBody(),
				target: { ...docsTilingBody().target, serviceName: 'alice.landsat_images' },
			};
			expect((await createTask(sandbox, user, body)).status).toBe(403);
			sandbox.shareCatalog('alice.landsat_images', 'demo', 'read,write');
			const task = await createTask(sandbox, user, body);
			expect(task.status).toBe(200);
			expect(await waitForEnd(sandbox, user, task.body.taskId as string)).toMatchObject({
				status: 'Completed',
			});
		} finally {
			await sandbox.close();
		}
	});

	test('one layer: layerDefinition.attributes and configuration.attributesConfiguration', async () => {
		const res = await call(sb, demo, 'GET', '/layers/demo.drone_orthophotos');
		expect(res.status).toBe(200);
		const def = res.body.layerDefinition as { attributes: Record<string, Record<string, unknown>> };
		expect(Object.keys(def.attributes)).toEqual(['name', 'flight_date', 'altitude_m', 'operator']);
		expect(def.attributes.altitude_m).toMatchObject({ type: 'Double', isNullable: true });
		expect(def.attributes.flight_date.type).toBe('DateTime');
		const conf = res.body.configuration as {
			attributesConfiguration: { attributes: Array<Record<string, unknown>> };
		};
		expect(conf.attributesConfiguration.attributes[0]).toEqual({
			attributeName: 'name',
			columnName: 'name',
			alias: 'Name',
			type: 'String',
		});
		expect((await call(sb, demo, 'GET', '/layers/demo.nope')).status).toBe(404);
		const foreign = await call(sb, demo, 'GET', '/layers/alice.landsat_images');
		expect(foreign.status).toBe(403);
		expect((await call(sb, demo, 'GET', '/layers/alice.roads')).status).toBe(200);
	});

	test('tables list: catalogs are TileCatalogTable', async () => {
		const res = await call(sb, demo, 'GET', '/tables?group=my');
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ totalCount: 3, offset: 0, limit: 20 });
		const items = res.body.items as Array<Record<string, unknown>>;
		expect(
			items
				.filter((t) => t.type === 'TileCatalogTable')
				.map((t) => t.name)
				.sort(),
		).toEqual(['demo.drone_orthophotos', 'demo.landsat_images']);
		expect(items.find((t) => t.name === 'demo.roads')?.type).toBe('Table');
		expect(items[0]).toMatchObject({ geometries: ['polygon'], configuration: null, icon: null });
	});

	test('user info: /account/{username} and /account/extended, another user 403', async () => {
		const mine = await call(sb, demo, 'GET', '/account/demo');
		expect(mine.status).toBe(200);
		expect(mine.body).toMatchObject({ username: 'demo', roles: expect.any(Array) });
		for (const k of ['email', 'firstName', 'lastName']) expect(mine.body).toHaveProperty(k);
		const ext = await call(sb, demo, 'GET', '/account/extended');
		expect(ext.body).toEqual(mine.body);
		expect((await call(sb, demo, 'GET', '/account/alice')).status).toBe(403);
	});
});

// What each dialect serves (sandbox/README.md): the tiling page's paths, the reference page's, or
// the newer generation's; every other path answers as ASP.NET does (an empty 404, or an empty 405
// with Allow for a path served with other methods), so a client that reads the docs the other way
// meets the same answers as on such a server.
describe('dialects: each serves one reading, the rest as ASP.NET', () => {
	let sb: Sandbox;
	let demo: Session;
	let id: string;

	beforeAll(async () => {
		sb = await startSandbox({ taskDurationMs: null });
		demo = await login(sb);
		await upload(sb, demo, 'd.tif', raster('float32.tif'), { rewrite: true });
		id = (await createTask(sb, demo, docsTilingBody('demo', ['d.tif']))).body.taskId as string;
	});
	afterAll(() => sb.close());

	/** [method, path, tiling-page, reference-page, newer]: status, and `''` when the body is empty. */
	const table = (taskId: string): Array<[string, string, ...Array<[number, string?]>]> => [
		['GET', `/scheduler/tasks/${taskId}/progress`, [200], [404, ''], [404, '']],
		['GET', `/scheduler/${taskId}/progress`, [404, ''], [200], [404, '']],
		['GET', `/scheduler/tasks/${taskId}`, [200], [404, ''], [404, '']],
		['GET', `/scheduler/${taskId}`, [404, ''], [200], [405, '']],
		['POST', `/scheduler/tasks/${taskId}/cancel`, [200], [200], [404, '']],
		['POST', '/scheduler/tasks?type=tiling', [400], [400], [405, '']],
		['GET', '/layers', [200], [200], [405, '']],
		['GET', '/layers/demo.landsat_images', [200], [200], [200]],
		['GET', '/upload/file', [405, ''], [405, ''], [404, '']],
		['GET', '/scheduler/worker', [404, ''], [404], [200]],
		['GET', '/account/demo', [200], [200], [200]],
	];

	test.each([
		['tiling-page', 2],
		['reference-page', 3],
		['newer', 4],
	] as const)('%s', async (dialect, column) => {
		sb.setOptions({ dialect });
		try {
			for (const row of table(id)) {
				const [method, path] = row;
				const [status, text] = row[column] as [number, string?];
				// Cancel last of all, so the task keeps running for the other rows.
				const res = await call(
					sb,
					demo,
					method,
					path,
					method === 'POST' && !path.endsWith('cancel') ? {} : undefined,
				);
				const seen: [number, string?] = text === undefined ? [res.status] : [res.status, res.text];
				expect({ dialect, method, path, answer: seen }).toEqual({
					dialect,
					method,
					path,
					answer: [status, ...(text === undefined ? [] : [text])],
				});
			}
			if (dialect === 'newer') {
				expect((await call(sb, demo, 'GET', `/scheduler/${id}`)).headers.get('allow')).toBe(
					'PUT, DELETE',
				);
				expect((await call(sb, demo, 'GET', '/scheduler/worker')).body).toEqual(
					expect.arrayContaining([expect.objectContaining({ type: 'importExport' })]),
				);
			}
			if (dialect === 'reference-page') {
				// A server of that reading takes `worker` for a task ID: EverGIS's own JSON 404.
				expect((await call(sb, demo, 'GET', '/scheduler/worker')).body).toMatchObject({
					errorType: 'ResourceNotFound',
				});
			}
		} finally {
			sb.setOptions({ dialect: 'tiling-page' });
		}
	});
});

describe('answer shapes no document shows, as options', () => {
	let sb: Sandbox;
	let demo: Session;

	beforeAll(async () => {
		sb = await startSandbox({ taskDurationMs: 100 });
		demo = await login(sb);
	});
	afterAll(() => sb.close());

	test("layerTypes 'spec': the spec's LayerServiceType names; another type filter is refused 400", async () => {
		sb.setOptions({ layerTypes: 'spec' });
		try {
			const refused = await call(sb, demo, 'GET', '/layers?types=PostgresTileCatalogService');
			expect(refused.status).toBe(400);
			const rasters = await call(sb, demo, 'GET', '/layers?types=PostgresTileLayerService');
			expect(
				(rasters.body.items as Array<{ name: string; type: string }>).map((l) => [l.name, l.type]),
			).toEqual([
				['demo.landsat_images', 'PostgresTileLayerService'],
				['demo.drone_orthophotos', 'PostgresTileLayerService'],
			]);
			const all = await call(sb, demo, 'GET', '/layers');
			expect((all.body.items as Array<{ type: string }>).map((l) => l.type).sort()).toEqual([
				'PostgresTileLayerService',
				'PostgresTileLayerService',
				'QueryLayerService',
			]);
			const one = await call(sb, demo, 'GET', '/layers/demo.landsat_images');
			expect(one.body.type).toBe('PostgresTileLayerService');
		} finally {
			sb.setOptions({ layerTypes: 'docs' });
		}
		const docs = await call(sb, demo, 'GET', '/layers?types=PostgresTileLayerService');
		expect(docs.body).toMatchObject({ items: [], totalCount: 0 });
	});

	test("errorBody 'problemDetails': ASP.NET's {type, title, status, detail, traceId}", async () => {
		sb.setOptions({ errorBody: 'problemDetails' });
		try {
			const res = await call(sb, demo, 'GET', '/layers/demo.nope');
			expect(res.status).toBe(404);
			expect(res.body).toEqual({
				type: 'https://httpstatuses.io/404',
				title: 'Not Found',
				status: 404,
				detail: "Layer 'demo.nope' was not found",
				traceId: '00-sandbox-00',
			});
		} finally {
			sb.setOptions({ errorBody: 'errorDetails' });
		}
	});

	test("batchErrors 'objects': each {message, errorType}, and no taskResult.message", async () => {
		sb.setOptions({ batchErrors: 'objects' });
		try {
			await upload(sb, demo, 'bad.tif', raster('corrupt.tif'), { rewrite: true });
			const created = await createTask(sb, demo, docsTilingBody('demo', ['bad.tif']));
			const done = await waitForEnd(sb, demo, created.body.taskId as string);
			const result = done.taskResult as {
				message: unknown;
				stepResults: Array<{ batchErrors: unknown[] }>;
			};
			expect(done.status).toBe('Failed');
			expect(result.message).toBeNull();
			expect(result.stepResults[0].batchErrors).toEqual([
				{ message: expect.stringMatching(/bad\.tif/), errorType: 'TilingError' },
			]);
		} finally {
			sb.setOptions({ batchErrors: 'strings' });
		}
	});

	test('unknownAnswers: each task first says Unknown that many times; finishTask(Unknown) for good', async () => {
		sb.setOptions({ unknownAnswers: 2, taskDurationMs: null });
		try {
			await upload(sb, demo, 'u.tif', raster('float32.tif'), { rewrite: true });
			const id = (await createTask(sb, demo, docsTilingBody('demo', ['u.tif']))).body
				.taskId as string;
			const statuses: unknown[] = [];
			for (let i = 0; i < 3; i++) {
				statuses.push((await call(sb, demo, 'GET', `/scheduler/tasks/${id}/progress`)).body.status);
			}
			expect(statuses).toEqual(['Unknown', 'Unknown', 'Executing']);
			sb.finishTask(id, 'Unknown');
			const stuck = await call(sb, demo, 'GET', `/scheduler/tasks/${id}/progress`);
			expect(stuck.body).toMatchObject({ status: 'Unknown', taskResult: null });
		} finally {
			sb.setOptions({ unknownAnswers: 0, taskDurationMs: 100 });
		}
	});
});
