import type { IDataObject } from 'n8n-workflow';

import {
	buildTilingBody,
	parseAttributes,
	parseMaxZoomLevel,
	type TilingInput,
} from '../../../nodes/EverGis/model/tilingBody';
import { userErrorFrom } from '../helpers/throws';

// The docs' example (everpoint.github.io/api/scheduler/tiling.md, "Пример", Python): load
// landsat_test_image.tif into username.landsat_images. This is the body its `tilingProps` sends.
const DOCS_FILES = ['landsat_test_image.tif'];
const DOCS_ATTRIBUTES = {
	name: 'Снимок Landsat-8',
	dateofimage: '2023-12-08T12:00:00+00:00',
};
const DOCS_PYTHON_BODY = {
	files: ['landsat_test_image.tif'],
	attributes: {
		name: 'Снимок Landsat-8',
		dateofimage: '2023-12-08T12:00:00+00:00',
	},
	polygonize: false,
	target: {
		type: 'tileFeatureLayerTaskDataStorage',
		serviceName: 'username.landsat_images',
		createNewService: false,
	},
	useCog: true,
};

function docsInput(overrides: Partial<TilingInput> = {}): TilingInput {
	return {
		serviceName: 'username.landsat_images',
		createNewService: false,
		files: [...DOCS_FILES],
		attributes: { ...DOCS_ATTRIBUTES },
		polygonize: false,
		...overrides,
	};
}

describe('buildTilingBody: the docs example', () => {
	test("produces exactly the body of the docs' Python example", () => {
		const body = buildTilingBody(docsInput());
		expect(body).toStrictEqual(DOCS_PYTHON_BODY);
	});

	test('has no keys beyond the documented ones (no maxZoomLevel, no attributesConfiguration)', () => {
		const body = buildTilingBody(docsInput());
		expect(Object.keys(body).sort()).toEqual(
			['attributes', 'files', 'polygonize', 'target', 'useCog'].sort(),
		);
		expect(Object.keys(body.target).sort()).toEqual(['createNewService', 'serviceName', 'type']);
		expect(body).not.toHaveProperty('maxZoomLevel');
		expect(body.target).not.toHaveProperty('attributesConfiguration');
	});

	test('serialises to the same JSON as the docs example (Cyrillic kept, no undefined leftovers)', () => {
		const sent = JSON.parse(JSON.stringify(buildTilingBody(docsInput())));
		expect(sent).toStrictEqual(DOCS_PYTHON_BODY);
		expect(JSON.stringify(buildTilingBody(docsInput()))).toContain('Снимок Landsat-8');
	});

	test('the same body when the attributes come from the docs attribute JSON text', () => {
		const attributes = parseAttributes(
			'json',
			undefined,
			'{\n    "name": "Снимок Landsat-8",\n    "dateofimage": "2023-12-08T12:00:00+00:00"\n}',
		);
		expect(buildTilingBody(docsInput({ attributes }))).toStrictEqual(DOCS_PYTHON_BODY);
	});

	test('the same body when the attributes come from name/value rows', () => {
		const attributes = parseAttributes(
			'fields',
			[
				{ name: 'name', value: 'Снимок Landsat-8' },
				{ name: 'dateofimage', value: '2023-12-08T12:00:00+00:00' },
			],
			undefined,
		);
		expect(buildTilingBody(docsInput({ attributes }))).toStrictEqual(DOCS_PYTHON_BODY);
	});
});

describe('buildTilingBody: options', () => {
	test('useCog is on by default (undefined) and off only when false', () => {
		expect(buildTilingBody(docsInput({ useCog: undefined })).useCog).toBe(true);
		expect(buildTilingBody(docsInput({ useCog: true })).useCog).toBe(true);
		expect(buildTilingBody(docsInput({ useCog: false })).useCog).toBe(false);
	});

	test('polygonize is off unless true', () => {
		expect(buildTilingBody(docsInput({ polygonize: undefined })).polygonize).toBe(false);
		expect(buildTilingBody(docsInput({ polygonize: true })).polygonize).toBe(true);
		expect(buildTilingBody(docsInput({ polygonize: false })).polygonize).toBe(false);
	});

	test.each([undefined, null, ''])('maxZoomLevel %p leaves the key out', (maxZoomLevel) => {
		const body = buildTilingBody(docsInput({ maxZoomLevel }));
		expect(body).not.toHaveProperty('maxZoomLevel');
		expect(JSON.stringify(body)).not.toContain('maxZoomLevel');
	});

	test("maxZoomLevel 0 (the option's default in the editor) leaves the key out: no levels of detail means nothing", () => {
		const body = buildTilingBody(docsInput({ maxZoomLevel: 0 }));
		expect(body).not.toHaveProperty('maxZoomLevel');
		expect(body).toStrictEqual(DOCS_PYTHON_BODY);
		expect(buildTilingBody(docsInput({ maxZoomLevel: '0' }))).not.toHaveProperty('maxZoomLevel');
	});

	test('maxZoomLevel 1 and 30 are sent', () => {
		expect(buildTilingBody(docsInput({ maxZoomLevel: 1 }))).toStrictEqual({
			...DOCS_PYTHON_BODY,
			maxZoomLevel: 1,
		});
		expect(buildTilingBody(docsInput({ maxZoomLevel: 30 })).maxZoomLevel).toBe(30);
	});

	test('maxZoomLevel from a number-like string becomes a number', () => {
		expect(buildTilingBody(docsInput({ maxZoomLevel: '12' })).maxZoomLevel).toBe(12);
		expect(buildTilingBody(docsInput({ maxZoomLevel: ' 7 ' })).maxZoomLevel).toBe(7);
	});

	test('a bad maxZoomLevel stops the body with the value in the message', () => {
		const error = userErrorFrom(() => buildTilingBody(docsInput({ maxZoomLevel: 31 })));
		expect(error.message).toBe(
			"Max Zoom Level must be a whole number from 1 to 30, or 0 to let EverGIS choose, not '31'",
		);
	});

	test('no empty attributes object is sent', () => {
		expect(buildTilingBody(docsInput({ attributes: {} }))).not.toHaveProperty('attributes');
		expect(buildTilingBody(docsInput({ attributes: undefined }))).not.toHaveProperty('attributes');
	});

	test('attributes keep their JSON types', () => {
		const attributes: IDataObject = {
			cloudiness: 12.5,
			bands: 11,
			processed: true,
			archived: false,
			comment: null,
			meta: { sensor: 'OLI', path: [1, 2] },
		};
		const body = buildTilingBody(docsInput({ attributes }));
		expect(body.attributes).toStrictEqual(attributes);
		expect(JSON.parse(JSON.stringify(body)).attributes).toStrictEqual(attributes);
	});

	test('several files keep their order; names are trimmed', () => {
		const body = buildTilingBody(docsInput({ files: [' a.tif', 'b.tif ', 'c.tif'] }));
		expect(body.files).toEqual(['a.tif', 'b.tif', 'c.tif']);
	});

	test('the catalog name is trimmed', () => {
		const body = buildTilingBody(docsInput({ serviceName: '  username.landsat_images\n' }));
		expect(body.target.serviceName).toBe('username.landsat_images');
	});

	test('target.type is always tileFeatureLayerTaskDataStorage', () => {
		expect(buildTilingBody(docsInput()).target.type).toBe('tileFeatureLayerTaskDataStorage');
		expect(buildTilingBody(docsInput({ createNewService: true })).target.type).toBe(
			'tileFeatureLayerTaskDataStorage',
		);
	});
});

describe('buildTilingBody: catalog name', () => {
	test.each(['', '   ', undefined as unknown as string, null as unknown as string])(
		'a missing catalog (%p) is refused',
		(serviceName) => {
			const error = userErrorFrom(() => buildTilingBody(docsInput({ serviceName })));
			expect(error.message).toBe('No raster catalog is chosen');
			expect(error.description).toContain('demo.landsat_images');
		},
	);

	test.each(['landsat_images', 'username.', '.landsat_images'])(
		"'%s' (no '<owner>.' prefix or no name) is refused",
		(serviceName) => {
			const error = userErrorFrom(() => buildTilingBody(docsInput({ serviceName })));
			expect(error.message).toBe(`'${serviceName}' is not a catalog system name`);
			expect(error.description).toContain('<owner>.<name>');
		},
	);

	test.each(['username.landsat images', 'user name.landsat_images', 'username.landsat\timages'])(
		'a name with white space inside (%p) is refused',
		(serviceName) => {
			const error = userErrorFrom(() => buildTilingBody(docsInput({ serviceName })));
			expect(error.message).toBe(`'${serviceName}' is not a catalog system name`);
		},
	);
});

describe('buildTilingBody: files', () => {
	test('an empty file list is refused', () => {
		const error = userErrorFrom(() => buildTilingBody(docsInput({ files: [] })));
		expect(error.message).toBe('The tiling task has no files');
		expect(error.description).toMatch(/at least one file/);
	});

	test.each([[['']], [['a.tif', '  ']], [['a.tif', null as unknown as string]]])(
		'an empty file name among %p is refused',
		(files) => {
			const error = userErrorFrom(() => buildTilingBody(docsInput({ files })));
			expect(error.message).toBe('The tiling task has no files');
		},
	);
});

describe('buildTilingBody: a new catalog (createNewService)', () => {
	const configuration = {
		idAttribute: 'gid',
		titleAttribute: 'name',
		geometryAttribute: 'geometry',
		tableName: 'username.landsat_images',
		attributes: [{ attributeName: 'name', columnName: 'name', isEditable: true }],
		tableReferences: [],
	};

	test('attributesConfiguration from JSON text', () => {
		const body = buildTilingBody(
			docsInput({
				createNewService: true,
				attributesConfiguration: JSON.stringify(configuration, null, 2),
			}),
		);
		expect(body.target).toStrictEqual({
			type: 'tileFeatureLayerTaskDataStorage',
			serviceName: 'username.landsat_images',
			createNewService: true,
			attributesConfiguration: configuration,
		});
	});

	test('attributesConfiguration from an object', () => {
		const body = buildTilingBody(
			docsInput({ createNewService: true, attributesConfiguration: configuration }),
		);
		expect(body.target.attributesConfiguration).toStrictEqual(configuration);
		expect(body.target.createNewService).toBe(true);
	});

	test.each([undefined, '', '   '])(
		'no attributesConfiguration (%p): createNewService alone',
		(attributesConfiguration) => {
			const body = buildTilingBody(docsInput({ createNewService: true, attributesConfiguration }));
			expect(body.target).toStrictEqual({
				type: 'tileFeatureLayerTaskDataStorage',
				serviceName: 'username.landsat_images',
				createNewService: true,
			});
		},
	);

	test('attributesConfiguration is not sent when createNewService is false', () => {
		const body = buildTilingBody(
			docsInput({ createNewService: false, attributesConfiguration: configuration }),
		);
		expect(body.target).not.toHaveProperty('attributesConfiguration');
		expect(body).toStrictEqual(DOCS_PYTHON_BODY);
	});

	test('bad JSON in attributesConfiguration is refused, naming the field and the parse error', () => {
		const error = userErrorFrom(() =>
			buildTilingBody(
				docsInput({ createNewService: true, attributesConfiguration: '{"idAttribute": ' }),
			),
		);
		expect(error.message).toMatch(/^Catalog Configuration is not valid JSON: \S/);
	});

	test('a JSON array as attributesConfiguration is refused', () => {
		const error = userErrorFrom(() =>
			buildTilingBody(docsInput({ createNewService: true, attributesConfiguration: '[]' })),
		);
		expect(error.message).toBe('Catalog Configuration must be a JSON object, not an array');
	});

	test('createNewService is only true for a real true', () => {
		const body = buildTilingBody(
			docsInput({ createNewService: 'true' as unknown as boolean, attributesConfiguration: '' }),
		);
		expect(body.target.createNewService).toBe(false);
	});
});

describe('parseMaxZoomLevel', () => {
	test.each([
		[1, 1],
		[30, 30],
		['18', 18],
		[' 5 ', 5],
		['5.0', 5],
	])('%p → %p', (value, expected) => {
		expect(parseMaxZoomLevel(value)).toBe(expected);
	});

	test.each([undefined, null, '', 0, '0', ' 0 '])('%p → undefined (left to EverGIS)', (value) => {
		expect(parseMaxZoomLevel(value)).toBeUndefined();
	});

	test.each([
		[-1, '-1'],
		['-3', '-3'],
		[2.5, '2.5'],
		['7.5', '7.5'],
		[31, '31'],
		['100', '100'],
		['abc', 'abc'],
		['12px', '12px'],
		[Number.NaN, 'NaN'],
		[Number.POSITIVE_INFINITY, 'Infinity'],
		[true, 'true'],
	])('%p is refused, and the message names it', (value, shown) => {
		const error = userErrorFrom(() => parseMaxZoomLevel(value));
		expect(error.message).toBe(
			`Max Zoom Level must be a whole number from 1 to 30, or 0 to let EverGIS choose, not '${shown}'`,
		);
		expect(error.description).toMatch(/levels of detail/i);
	});
});

describe('parseAttributes: JSON mode', () => {
	test('JSON text with every JSON type keeps the types', () => {
		const attributes = parseAttributes(
			'json',
			undefined,
			'{"name": "Снимок", "cloud": 3.5, "count": 0, "ok": true, "no": false, "none": null, "nested": {"a": [1, "b"]}}',
		);
		expect(attributes).toStrictEqual({
			name: 'Снимок',
			cloud: 3.5,
			count: 0,
			ok: true,
			no: false,
			none: null,
			nested: { a: [1, 'b'] },
		});
	});

	test('an object (an expression result) is taken as it is', () => {
		const value = { name: 'x', n: 1, flag: true, nothing: null };
		expect(parseAttributes('json', undefined, value)).toStrictEqual(value);
	});

	test.each([undefined, null, '', '   ', '{}'])('%p gives no attributes', (json) => {
		expect(parseAttributes('json', undefined, json)).toStrictEqual({});
	});

	test('rows are ignored in JSON mode', () => {
		expect(parseAttributes('json', [{ name: 'a', value: 1 }], '{"b": 2}')).toStrictEqual({ b: 2 });
	});

	test('invalid JSON is refused with the parser reason', () => {
		const error = userErrorFrom(() => parseAttributes('json', undefined, '{"name": "x",}'));
		expect(error.message).toMatch(/^Attributes \(JSON\) is not valid JSON: \S/);
		expect(error.description).toContain('{');
	});

	test('single-quoted pseudo-JSON is refused as invalid JSON', () => {
		const error = userErrorFrom(() => parseAttributes('json', undefined, "{'name': 'x'}"));
		expect(error.message).toMatch(/^Attributes \(JSON\) is not valid JSON/);
	});

	test('a JSON array is refused: "not an array"', () => {
		const error = userErrorFrom(() => parseAttributes('json', undefined, '[{"name": "x"}]'));
		expect(error.message).toBe('Attributes (JSON) must be a JSON object, not an array');
	});

	test('an array value (not text) is refused too', () => {
		const error = userErrorFrom(() => parseAttributes('json', undefined, [{ name: 'x' }]));
		expect(error.message).toBe('Attributes (JSON) must be a JSON object, not an array');
	});

	test('a JSON string is refused: "not string"', () => {
		const error = userErrorFrom(() => parseAttributes('json', undefined, '"Снимок Landsat-8"'));
		expect(error.message).toBe('Attributes (JSON) must be a JSON object, not string');
	});

	test('a JSON number is refused: "not number"', () => {
		const error = userErrorFrom(() => parseAttributes('json', undefined, '42'));
		expect(error.message).toBe('Attributes (JSON) must be a JSON object, not number');
	});

	test('a JSON boolean is refused: "not boolean"', () => {
		const error = userErrorFrom(() => parseAttributes('json', undefined, 'true'));
		expect(error.message).toBe('Attributes (JSON) must be a JSON object, not boolean');
	});

	test('the JSON text null is refused as "not null" (not "not object")', () => {
		const error = userErrorFrom(() => parseAttributes('json', undefined, 'null'));
		expect(error.message).toBe('Attributes (JSON) must be a JSON object, not null');
	});
});

describe('parseAttributes: name/value rows', () => {
	test('rows become an object; values keep their types', () => {
		const attributes = parseAttributes(
			'fields',
			[
				{ name: 'name', value: 'Снимок Landsat-8' },
				{ name: 'cloud', value: 3.5 },
				{ name: 'ok', value: true },
				{ name: 'zero', value: 0 },
				{ name: 'empty', value: '' },
				{ name: 'meta', value: { a: 1 } },
			],
			undefined,
		);
		expect(attributes).toStrictEqual({
			name: 'Снимок Landsat-8',
			cloud: 3.5,
			ok: true,
			zero: 0,
			empty: '',
			meta: { a: 1 },
		});
	});

	test('a row without a value sends null', () => {
		expect(parseAttributes('fields', [{ name: 'comment' }], undefined)).toStrictEqual({
			comment: null,
		});
	});

	test('names are trimmed', () => {
		expect(parseAttributes('fields', [{ name: '  name ', value: 'x' }], undefined)).toStrictEqual({
			name: 'x',
		});
	});

	test.each([undefined, []])('no rows (%p) give no attributes', (pairs) => {
		expect(parseAttributes('fields', pairs, '{"ignored": true}')).toStrictEqual({});
	});

	test.each(['', '   ', undefined, null])(
		'a row with no name (%p) is refused by number',
		(name) => {
			const error = userErrorFrom(() =>
				parseAttributes(
					'fields',
					[
						{ name: 'a', value: 1 },
						{ name, value: 2 },
					],
					undefined,
				),
			);
			expect(error.message).toBe('Attribute 2 has no name');
			expect(error.description).toMatch(/remove the empty row/);
		},
	);

	test('the same name twice is refused, naming it', () => {
		const error = userErrorFrom(() =>
			parseAttributes(
				'fields',
				[
					{ name: 'name', value: 'a' },
					{ name: 'date', value: 'b' },
					{ name: ' name', value: 'c' },
				],
				undefined,
			),
		);
		expect(error.message).toBe("Attribute 'name' is set twice");
		expect(error.description).toMatch(/one row per attribute/);
	});
});
