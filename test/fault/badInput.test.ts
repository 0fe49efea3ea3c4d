import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { TestEngine } from '../helpers/engine';
import { SecretScan } from '../helpers/secrets';
import type { FileItemSpec } from '../helpers/testNodes';
import { fixture, tilingWorkflow, uploadParameters } from '../helpers/workflows';

/**
 * Users who wire the wrong field. Each case runs a good item, the bad one and another good item
 * with Continue On Fail: the bad item becomes an error item whose message names the item and the
 * cause (and a description says what to do), and the good ones go on. The same bad item without
 * Continue On Fail fails the node with that message.
 */

let sandbox: Sandbox;
let engine: TestEngine;
let htmlServer: Server;
let htmlHost: string;
const scan = new SecretScan();
const PASSWORD = 'demo-password';
const tenth = fixture('rgb-byte-tenth.tif');
const good: FileItemSpec = { files: { data: tenth } };

beforeAll(async () => {
	sandbox = await startSandbox({ taskDurationMs: 200, maxUploadBytes: 1_000_000 });
	engine = await TestEngine.create();
	// A Host that is the web client's address: its page, with 200, at every path.
	htmlServer = createServer((_req, res) => {
		res.writeHead(200, { 'content-type': 'text/html' });
		res.end('<!DOCTYPE html><html><head><title>EverGIS</title></head><body></body></html>');
	});
	await new Promise<void>((resolve) => htmlServer.listen(0, '127.0.0.1', resolve));
	htmlHost = `http://127.0.0.1:${(htmlServer.address() as AddressInfo).port}/sp`;
});
beforeEach(() =>
	engine.setCredentials('cred-1', { host: sandbox.url, username: 'demo', password: PASSWORD }),
);
afterAll(async () => {
	expect(scan.find([...sandbox.issuedSecrets(), PASSWORD])).toEqual([]);
	await sandbox.close();
	await new Promise((resolve) => htmlServer.close(resolve));
});

interface Case {
	name: string;
	parameters: INodeParameters;
	bad: FileItemSpec;
	/** The message of the bad item's error, without the " [item 1]" that names it. */
	message: RegExp;
	description?: RegExp;
	credentials?: ICredentialDataDecryptedObject;
	/** The bad input breaks every item (the credentials, say), not only its own. */
	allItems?: boolean;
}

const upload = (more: INodeParameters = {}) =>
	uploadParameters('demo.landsat_images', {
		...more,
		options: { pollInterval: 0.1, ...((more.options as object) ?? {}) },
	});
const onItem = (json: IDataObject): FileItemSpec => ({ json, files: { data: tenth } });

const cases: Case[] = [
	{
		name: 'a missing binary property',
		parameters: upload({ binaryProperties: '={{ $json.prop ?? "data" }}' }),
		bad: { json: { prop: 'image' }, files: { data: tenth } },
		message: /^The item has no binary property 'image'$/,
		description: /Its binary properties are: data\./,
	},
	{
		name: 'an item without any file',
		parameters: upload(),
		bad: { json: { note: 'no file here' } },
		message: /^The item has no binary data \(no file to upload\)$/,
		description: /Read\/Write Files from Disk, FTP, S3 or HTTP Request/,
	},
	{
		name: 'an empty file',
		parameters: upload(),
		bad: { files: { data: { content: '', fileName: 'empty.tif' } } },
		message: /^The file 'empty\.tif' in binary property 'data' is empty \(0 bytes\)$/,
	},
	{
		name: 'a file that is not a raster',
		parameters: upload(),
		bad: { files: { data: { content: 'name,lat,lon\nA,55.7,37.6\n', fileName: 'points.csv' } } },
		message:
			/^Tiling task \S+ ended Failed: File 'points_[0-9a-f]{12}\.csv' is not a GeoTIFF raster/,
		description: /Files: points\.csv/,
	},
	{
		name: 'a damaged raster',
		parameters: upload(),
		bad: { files: { data: fixture('corrupt.tif') } },
		message:
			/^Tiling task \S+ ended Failed: File 'corrupt_[0-9a-f]{12}\.tif' is damaged: .*past the end of the file/,
	},
	{
		name: 'an unknown catalog',
		parameters: uploadParameters('={{ $json.catalog ?? "demo.landsat_images" }}', {
			options: { pollInterval: 0.1 },
		}),
		bad: onItem({ catalog: 'demo.no_such_catalog' }),
		// Found before anything is uploaded (GET /layers/{name}), with the catalogs there are.
		message: /^EverGIS has no catalog 'demo\.no_such_catalog'$/,
		description: /^Your raster catalogs: .*demo\.landsat_images.*Create New Catalog/,
	},
	{
		name: "another user's catalog",
		parameters: uploadParameters('={{ $json.catalog ?? "demo.landsat_images" }}', {
			options: { pollInterval: 0.1 },
		}),
		bad: onItem({ catalog: 'alice.landsat_images' }),
		message:
			/^EverGIS denied user 'demo' access \(HTTP 403\) while reading catalog 'alice\.landsat_images'/,
		description: /lacks the right.*Logging in again would not change this/,
	},
	{
		name: 'a catalog name without the owner',
		parameters: uploadParameters('={{ $json.catalog ?? "demo.landsat_images" }}', {
			options: { pollInterval: 0.1 },
		}),
		bad: onItem({ catalog: 'landsat_images' }),
		message: /^'landsat_images' is not a catalog system name$/,
		description: /'<owner>\.<name>'/,
	},
	{
		name: 'an empty catalog',
		parameters: uploadParameters('={{ $json.catalog ?? "demo.landsat_images" }}', {
			options: { pollInterval: 0.1 },
		}),
		bad: onItem({ catalog: ' ' }),
		message: /^No raster catalog is chosen$/,
	},
	{
		name: 'attributes JSON that does not parse',
		parameters: upload({ attributesMode: 'json', attributesJson: '={{ $json.attrs ?? "{}" }}' }),
		bad: onItem({ attrs: '{"name": "Landsat", }' }),
		message: /^Attributes \(JSON\) is not valid JSON: /,
		description: /Write a JSON object/,
	},
	{
		name: 'attributes JSON that is an array',
		parameters: upload({ attributesMode: 'json', attributesJson: '={{ $json.attrs ?? "{}" }}' }),
		bad: onItem({ attrs: '["name"]' }),
		message: /^Attributes \(JSON\) must be a JSON object, not an array$/,
	},
	{
		name: 'a value of the wrong type',
		parameters: upload({
			attributes: { attribute: [{ name: 'dateofimage', value: '={{ $json.date ?? null }}' }] },
		}),
		bad: onItem({ date: 'yesterday' }),
		message:
			/^EverGIS refused the request while creating the tiling task .*\(HTTP 400\): .*dateofimage.*/,
	},
	{
		name: 'an attribute the catalog does not have',
		parameters: upload({
			attributes: { attribute: [{ name: '={{ $json.attr ?? "name" }}', value: 'x' }] },
		}),
		bad: onItem({ attr: 'cloud_cover' }),
		message: /^EverGIS refused the request .*\(HTTP 400\): .*cloud_cover/,
	},
	{
		name: 'an attribute row without a name',
		parameters: upload({
			attributes: { attribute: [{ name: '={{ $json.attr ?? "name" }}', value: 'x' }] },
		}),
		bad: onItem({ attr: '' }),
		message: /^Attribute 1 has no name$/,
	},
	{
		name: 'the same attribute twice',
		parameters: upload({
			attributes: {
				attribute: [
					{ name: 'name', value: 'a' },
					{ name: '={{ $json.attr ?? "dateofimage" }}', value: '={{ null }}' },
				],
			},
		}),
		bad: onItem({ attr: 'name' }),
		message: /^Attribute 'name' is set twice$/,
	},
	{
		name: 'an empty file list',
		parameters: upload({
			inputSource: '={{ $json.source ?? "binary" }}',
			fileIds: '={{ $json.ids ?? "" }}',
		}),
		bad: { json: { source: 'storage', ids: ' , ' } },
		message: /^No file names are given$/,
	},
	{
		name: 'a file name that is not in temporary storage',
		parameters: upload({
			inputSource: '={{ $json.source ?? "binary" }}',
			fileIds: '={{ $json.ids ?? "" }}',
		}),
		bad: { json: { source: 'storage', ids: 'never_uploaded.tif' } },
		message: /^EverGIS refused the request .*\(HTTP 400\): .*never_uploaded\.tif/,
	},
	{
		name: 'Binary Properties left empty',
		parameters: upload({ binaryProperties: '={{ $json.prop ?? "data" }}' }),
		bad: { json: { prop: '' }, files: { data: tenth } },
		message: /^Binary Properties is empty$/,
		description: /This item has: data/,
	},
	{
		name: 'a file too large for the proxy (413)',
		parameters: upload(),
		bad: { files: { data: fixture('RGB.byte.tif') } },
		message:
			/^The file is too large for the server \(HTTP 413\) while uploading 'RGB\.byte_[0-9a-f]{12}\.tif'/,
		description: /client_max_body_size/,
	},
	{
		name: 'a Max Zoom Level that is not a whole number',
		parameters: upload({ options: { maxZoomLevel: '={{ $json.zoom ?? 5 }}' } }),
		bad: onItem({ zoom: 3.5 }),
		message:
			/^Max Zoom Level must be a whole number from 1 to 30, or 0 to let EverGIS choose, not '3\.5'$/,
	},
	{
		name: 'a poll interval of zero',
		parameters: upload({ options: { pollInterval: '={{ $json.every ?? 0.1 }}' } }),
		bad: onItem({ every: 0 }),
		message: /^Poll Interval must be a positive number of seconds, not '0'$/,
	},
	{
		name: 'a bad catalog configuration for a new catalog',
		parameters: upload({
			createNewService: true,
			attributesConfiguration: '={{ $json.config ?? "" }}',
		}),
		bad: onItem({ config: '{attributes: []}' }),
		message: /^Catalog Configuration is not valid JSON: /,
	},
	{
		name: 'a host without a scheme',
		parameters: upload(),
		bad: good,
		credentials: { host: 'evergis.ru/sp' },
		allItems: true,
		message: /^The EverGIS Host 'evergis\.ru\/sp' has no http:\/\/ or https:\/\/ scheme$/,
	},
	{
		name: 'a host that answers the web client’s HTML page',
		parameters: upload(),
		bad: good,
		credentials: { host: 'HTML' },
		allItems: true,
		message:
			/^EverGIS login for 'demo' at http:\/\/127\.0\.0\.1:\d+\/sp answered with an HTML page \(HTTP 200\), not the EverGIS API$/,
	},
	{
		name: 'a host without the /sp prefix',
		parameters: upload(),
		bad: good,
		credentials: { host: 'ORIGIN' },
		allItems: true,
		message:
			/^(No EverGIS API answers at http:\/\/127\.0\.0\.1:\d+\/account\/login \(HTTP 404\)|EverGIS login .* answered with an HTML page \(HTTP 404\), not the EverGIS API)$/,
		description: /\/sp/,
	},
	{
		name: 'a wrong password',
		parameters: upload(),
		bad: good,
		credentials: { password: 'hunter2-wrong' },
		allItems: true,
		message:
			/^EverGIS rejected the login for 'demo' at http:\/\/127\.0\.0\.1:\d+\/sp \(HTTP 401\)$/,
		description: /Check Username and Password/,
	},
	{
		name: 'an empty task ID',
		parameters: { resource: 'task', operation: 'getStatus', taskId: '={{ $json.id }}' },
		bad: { json: { id: '' } },
		message: /^Task ID is empty$/,
	},
	{
		name: 'a task ID with a path in it',
		parameters: { resource: 'task', operation: 'get', taskId: '={{ $json.id }}' },
		bad: { json: { id: '../account/demo' } },
		message: /^'\.\.\/account\/demo' is not a task ID$/,
	},
];

describe.each(cases)('bad input: $name', (testCase) => {
	const isTaskCase = testCase.parameters.resource === 'task';
	const goodItem = (): FileItemSpec => (isTaskCase ? { json: { id: 'x' } } : good);

	const useCredentials = () => {
		if (!testCase.credentials) return;
		const host =
			testCase.credentials.host === 'HTML'
				? htmlHost
				: testCase.credentials.host === 'ORIGIN'
					? sandbox.origin
					: testCase.credentials.host;
		engine.setCredentials('cred-1', {
			host: sandbox.url,
			username: 'demo',
			password: PASSWORD,
			...testCase.credentials,
			...(host !== undefined ? { host } : {}),
		});
	};

	test('Continue On Fail: the bad item becomes an error item that names it; the others go on', async () => {
		useCredentials();
		const result = scan.add(
			await engine.run(
				tilingWorkflow(testCase.parameters, [goodItem(), testCase.bad, goodItem()], {
					continueOnFail: true,
				}),
			),
		);
		expect(result.error).toBeUndefined();
		const out = result.output('EverGIS');
		const bad = out.filter((item) => (item.pairedItem as { item: number }).item === 1);
		expect(bad).toHaveLength(1);
		const message = String(bad[0].json.error);
		expect(message).toMatch(/ \[item 1\]$/);
		expect(message.replace(/ \[item 1\]$/, '')).toMatch(testCase.message);
		if (testCase.description) expect(String(bad[0].json.description)).toMatch(testCase.description);
		const others = out.filter((item) => (item.pairedItem as { item: number }).item !== 1);
		if (testCase.allItems) {
			expect(others.every((item) => typeof item.json.error === 'string')).toBe(true);
		} else if (!isTaskCase) {
			expect(others.map((item) => item.json.status)).toEqual(['Completed', 'Completed']);
		}
	});

	test('without Continue On Fail the node fails with that message', async () => {
		useCredentials();
		const result = scan.add(await engine.run(tilingWorkflow(testCase.parameters, [testCase.bad])));
		expect(result.error?.message).toMatch(/ \[item 0\]$/);
		expect(result.error?.message.replace(/ \[item 0\]$/, '')).toMatch(testCase.message);
		expect(result.error?.description ?? '').not.toBe('');
	});
});

test(`the bad-input table has at least 20 kinds (${cases.length})`, () => {
	expect(cases.length).toBeGreaterThanOrEqual(20);
});
