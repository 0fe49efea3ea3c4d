import { startSandbox, type Sandbox } from '../../sandbox';
import { call, createTask, login, raster, upload, type Session } from './helpers/client';

// Every way a tiling request is refused: status, and a message that names the cause.

function without<T extends object>(value: T, key: keyof T): Partial<T> {
	const copy: Partial<T> = { ...value };
	delete copy[key];
	return copy;
}

describe('tiling task validation', () => {
	let sb: Sandbox;
	let demo: Session;

	const base = () => ({
		target: {
			type: 'tileFeatureLayerTaskDataStorage',
			serviceName: 'demo.landsat_images',
			createNewService: false,
		},
		files: ['a.tif'],
		attributes: { name: 'A', dateofimage: '2023-12-08T12:00:00+00:00' },
		polygonize: false,
		useCog: true,
	});

	beforeAll(async () => {
		sb = await startSandbox({ taskDurationMs: 100 });
		demo = await login(sb);
		await upload(sb, demo, 'a.tif', raster('float32.tif'));
	});
	afterAll(() => sb.close());

	async function expectError(
		body: unknown,
		status: number,
		message: RegExp,
		query = '?type=tiling',
	) {
		const before = sb.stats().tasksCreated;
		const res = await call(sb, demo, 'POST', `/scheduler/tasks${query}`, body);
		expect({ status: res.status, message: res.body?.message }).toEqual({
			status,
			message: expect.stringMatching(message),
		});
		expect(res.body).toMatchObject({ statusCode: status });
		expect(sb.stats().tasksCreated).toBe(before);
	}

	test('the base body is valid', async () => {
		const res = await createTask(sb, demo, base());
		expect(res.status).toBe(200);
	});

	test('type query parameter: missing or unknown → 400', async () => {
		await expectError(base(), 400, /'type' is required/, '');
		await expectError(base(), 400, /'type' is required/, '?type=');
		await expectError(base(), 400, /'copy' is not supported/, '?type=copy');
	});

	test('body: not JSON, not an object', async () => {
		await expectError('{"target":', 400, /not valid JSON/);
		await expectError([base()], 400, /must be a JSON object/);
		await expectError('null', 400, /must be a JSON object/);
	});

	test('target', async () => {
		await expectError(without(base(), 'target'), 400, /'target' is required/);
		await expectError(
			{ ...base(), target: 'demo.landsat_images' },
			400,
			/'target' must be an object/,
		);
		await expectError(
			{ ...base(), target: { ...base().target, type: 'layerTaskDataStorage' } },
			400,
			/'target.type' must be 'tileFeatureLayerTaskDataStorage', got "layerTaskDataStorage"/,
		);
		await expectError(
			{ ...base(), target: without(base().target, 'type') },
			400,
			/'target.type' is required/,
		);
		await expectError(
			{ ...base(), target: without(base().target, 'serviceName') },
			400,
			/'target.serviceName' is required/,
		);
		await expectError(
			{ ...base(), target: { ...base().target, serviceName: '  ' } },
			400,
			/'target.serviceName' must not be empty/,
		);
		await expectError(
			{ ...base(), target: { ...base().target, serviceName: 42 } },
			400,
			/'target.serviceName' must be a string/,
		);
		await expectError(
			{ ...base(), target: { ...base().target, createNewService: 'yes' } },
			400,
			/'target.createNewService' must be true or false/,
		);
	});

	test('files', async () => {
		await expectError(without(base(), 'files'), 400, /'files' is required/);
		await expectError({ ...base(), files: 'a.tif' }, 400, /'files' must be a list/);
		await expectError({ ...base(), files: [] }, 400, /'files' must not be empty/);
		await expectError(
			{ ...base(), files: ['a.tif', 7] },
			400,
			/'files\[1\]' must be a non-empty string/,
		);
		await expectError({ ...base(), files: [''] }, 400, /'files\[0\]' must be a non-empty string/);
		await expectError(
			{ ...base(), files: ['a.tif', 'missing.tif'] },
			400,
			/File 'missing.tif' \(files\[1\]\) is not in the temporary storage of user 'demo'/,
		);
		// Another user's file is not in demo's storage.
		const alice = await login(sb, 'alice');
		await upload(sb, alice, 'alice_only.tif', raster('float32.tif'));
		await expectError({ ...base(), files: ['alice_only.tif'] }, 400, /File 'alice_only.tif'/);
	});

	test('catalog: missing without createNewService, not a catalog, another user’s', async () => {
		await expectError(
			{ ...base(), target: { ...base().target, serviceName: 'demo.nope' } },
			400,
			/Raster catalog 'demo.nope' \(target.serviceName\) does not exist.*createNewService/,
		);
		await expectError(
			{ ...base(), target: { ...base().target, serviceName: 'demo.roads' }, attributes: {} },
			400,
			/'demo.roads' .* is a PostgresLayerService layer, not a raster catalog/,
		);
		await expectError(
			{ ...base(), target: { ...base().target, serviceName: 'alice.landsat_images' } },
			403,
			/'alice.landsat_images' .*belongs to user 'alice'/,
		);
		await expectError(
			{
				...base(),
				target: { ...base().target, serviceName: 'alice.new_one', createNewService: true },
			},
			403,
			/namespace 'alice' is not yours/,
		);
		await expectError(
			{
				...base(),
				target: { ...base().target, serviceName: 'unqualified', createNewService: true },
			},
			400,
			/'target.serviceName' must be '<user>.<name>'/,
		);
	});

	test('attributes: not an object, unknown name, wrong type for each type', async () => {
		await expectError({ ...base(), attributes: ['A'] }, 400, /'attributes' must be an object/);
		await expectError({ ...base(), attributes: 'A' }, 400, /'attributes' must be an object/);
		await expectError(
			{ ...base(), attributes: { title: 'x' } },
			400,
			/Attribute 'title' .*does not exist in raster catalog 'demo.landsat_images'; it has: name, dateofimage/,
		);
		await expectError(
			{ ...base(), attributes: { dateofimage: 'yesterday' } },
			400,
			/Attribute 'dateofimage' .*is DateTime: expected an ISO 8601 date-time string, got "yesterday"/,
		);
		await expectError({ ...base(), attributes: { name: 5 } }, 400, /Attribute 'name' .*is String/);
		await expectError({ ...base(), attributes: { dateofimage: '2023-13-01' } }, 400, /dateofimage/);

		// The drone catalog has a Double; a made catalog has Int32, Int64, Boolean.
		const drone = {
			...base(),
			target: { ...base().target, serviceName: 'demo.drone_orthophotos' },
		};
		await expectError(
			{ ...drone, attributes: { altitude_m: '120' } },
			400,
			/Attribute 'altitude_m' .*is Double: expected a number, got "120"/,
		);
		const ok = await createTask(sb, demo, {
			...drone,
			attributes: { altitude_m: 120.5, flight_date: '2024-05-01', operator: null, name: 'f1' },
		});
		expect(ok.status).toBe(200);

		const typed = {
			...base(),
			target: {
				type: 'tileFeatureLayerTaskDataStorage',
				serviceName: 'demo.typed',
				createNewService: true,
				attributesConfiguration: {
					attributes: [
						{ attributeName: 'count32', type: 'Int32' },
						{ attributeName: 'count64', type: 'Int64' },
						{ attributeName: 'flag', type: 'Boolean' },
						{ attributeName: 'note' },
					],
				},
			},
			attributes: {},
		};
		await expectError({ ...typed, attributes: { count32: 1.5 } }, 400, /'count32' .*is Int32/);
		await expectError({ ...typed, attributes: { count32: 2 ** 31 } }, 400, /'count32' .*is Int32/);
		await expectError({ ...typed, attributes: { count64: '7' } }, 400, /'count64' .*is Int64/);
		await expectError({ ...typed, attributes: { flag: 'true' } }, 400, /'flag' .*is Boolean/);
		// Nothing was made by the refused requests.
		expect(sb.catalog('demo.typed')).toBeUndefined();
		const made = await createTask(sb, demo, {
			...typed,
			attributes: { count32: -5, count64: 2 ** 40, flag: true, note: 'a String by default' },
		});
		expect(made.status).toBe(200);
		expect(sb.catalog('demo.typed')).toMatchObject({
			owner: 'demo',
			attributes: {
				count32: { type: 'Int32' },
				count64: { type: 'Int64' },
				flag: { type: 'Boolean' },
				note: { type: 'String' },
			},
		});
		// createNewService with an existing catalog uses it (a guess, see tiling.ts).
		const reuse = await createTask(sb, demo, { ...typed, attributes: { flag: false } });
		expect(reuse.status).toBe(200);
		await expectError(
			{
				...typed,
				target: {
					...typed.target,
					serviceName: 'demo.bad_config',
					attributesConfiguration: { attributes: [{}] },
				},
			},
			400,
			/'target.attributesConfiguration.attributes\[0\].attributeName' is required/,
		);
	});

	test('maxZoomLevel, polygonize, useCog', async () => {
		for (const bad of [-1, 1.5, '3', null]) {
			await expectError(
				{ ...base(), maxZoomLevel: bad },
				400,
				/'maxZoomLevel' must be a non-negative integer/,
			);
		}
		expect((await createTask(sb, demo, { ...base(), maxZoomLevel: 0 })).status).toBe(200);
		await expectError(
			{ ...base(), polygonize: 'false' },
			400,
			/'polygonize' must be true or false/,
		);
		await expectError({ ...base(), useCog: 1 }, 400, /'useCog' must be true or false/);
	});

	test('a new catalog is listed and takes rasters', async () => {
		const res = await createTask(sb, demo, {
			target: {
				type: 'tileFeatureLayerTaskDataStorage',
				serviceName: 'demo.fresh',
				createNewService: true,
				attributesConfiguration: { attributes: [{ attributeName: 'name', type: 'String' }] },
			},
			files: ['a.tif'],
			attributes: { name: 'first' },
		});
		expect(res.status).toBe(200);
		const list = await call(
			sb,
			demo,
			'GET',
			'/layers?types=PostgresTileCatalogService&filter=fresh',
		);
		expect((list.body.items as Array<{ name: string }>).map((i) => i.name)).toEqual(['demo.fresh']);
		// The same name again, now without createNewService, is fine.
		const second = await createTask(sb, demo, {
			target: { type: 'tileFeatureLayerTaskDataStorage', serviceName: 'demo.fresh' },
			files: ['a.tif'],
		});
		expect(second.status).toBe(200);
	});
});
