/**
 * The examples take the date an image was taken from its file name (not the load time), in the ISO
 * 8601 form the EverGIS docs show. Their own expressions, read from examples/*.json, run here
 * through n8n's expression engine on files named as satellites, drones and people name them; and
 * the README's expression for a Russian date (дд.мм.гггг) too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { INodeParameters } from 'n8n-workflow';

import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { TestEngine } from '../helpers/engine';
import { fixture, tilingWorkflow, uploadParameters } from '../helpers/workflows';

const ROOT = join(__dirname, '..', '..');

let sandbox: Sandbox;
let engine: TestEngine;

beforeAll(async () => {
	sandbox = await startSandbox({ taskDurationMs: 50 });
	engine = await TestEngine.create();
	engine.setCredentials('cred-1', {
		host: sandbox.url,
		username: 'demo',
		password: 'demo-password',
	});
});
afterAll(async () => await sandbox.close());

/** The EverGIS node's parameters in an example. */
function exampleParameters(file: string): INodeParameters {
	const workflow = JSON.parse(readFileSync(join(ROOT, 'examples', file), 'utf8')) as {
		nodes: Array<{ type: string; parameters: INodeParameters }>;
		settings: { timezone?: string };
	};
	expect(workflow.settings.timezone).toBe('Europe/Moscow');
	const node = workflow.nodes.find((candidate) => candidate.type.endsWith('.everGisTiling'));
	return node!.parameters;
}

/** Loads one file per name with these parameters; returns each task's attributes, by file name. */
async function attributesFor(parameters: INodeParameters, names: string[]) {
	const result = await engine.run(
		tilingWorkflow(
			{ ...parameters, waitForCompletion: false, skipAlreadyLoaded: false },
			names.map((fileName) => ({
				files: { data: { path: fixture('rgb-byte-tenth.tif'), fileName } },
			})),
		),
	);
	expect(result.error).toBeUndefined();
	const byTask = new Map(sandbox.tasks().map((task) => [task.id, task.body]));
	return result
		.output('EverGIS')
		.map((item) => (byTask.get(item.json.taskId as string) as { attributes: object }).attributes);
}

const NAMES = [
	'LC08_L1TP_179021_20231208_20231214_02_T1.tif', // Landsat: the first date is the acquisition
	'ortho_2023-12-08.tif',
	'2023-12-08.tif',
	'scan_0042.tif', // no date: none is sent
	'strip_20231399.tif', // not a date
];
const DATES = ['2023-12-08T00:00:00Z', '2023-12-08T00:00:00Z', '2023-12-08T00:00:00Z', null, null];

test('folder-to-catalog-nightly.json: dateofimage from the file name', async () => {
	const parameters = exampleParameters('folder-to-catalog-nightly.json');
	expect(JSON.stringify(parameters)).not.toContain('$now');
	const attributes = await attributesFor(parameters, NAMES);
	expect(attributes).toEqual(NAMES.map((name, index) => ({ name, dateofimage: DATES[index] })));
});

const READMES = ['README.md', 'README.ru.md'];

test.each(READMES)("%s shows the examples' own expression", (file) => {
	const parameters = exampleParameters('folder-to-catalog-nightly.json') as {
		attributes: { attribute: Array<{ name: string; value: string }> };
	};
	const value = parameters.attributes.attribute.find((pair) => pair.name === 'dateofimage')!.value;
	const readme = readFileSync(join(ROOT, file), 'utf8');
	expect(readme).toContain(`\n${value.slice(1)}\n`);
	const http = exampleParameters('http-download-to-catalog.json').attributesJson as string;
	expect(http).toContain(value.slice(4, -3));
});

test('http-download-to-catalog.json: flight_date from the file name', async () => {
	const parameters = exampleParameters('http-download-to-catalog.json');
	expect(JSON.stringify(parameters)).not.toContain('$now');
	const attributes = await attributesFor(parameters, NAMES);
	expect(attributes).toEqual(NAMES.map((name, index) => ({ name, flight_date: DATES[index] })));
});

test.each(READMES)(
	"%s's expression for a Russian date (дд.мм.гггг) in the file name, at Moscow midnight",
	async (file) => {
		const readme = readFileSync(join(ROOT, file), 'utf8');
		const expression = /`(\{\{[^`]*'dd\.MM\.yyyy'[^`]*\}\})`/.exec(readme)?.[1];
		expect(expression).toBeDefined();
		const attributes = await attributesFor(
			uploadParameters('demo.landsat_images', {
				attributes: { attribute: [{ name: 'dateofimage', value: `=${expression}` }] },
			}),
			['Снимок_08.12.2023.tif', 'scan.tif'],
		);
		expect(attributes).toEqual([
			{ dateofimage: '2023-12-08T00:00:00+03:00' },
			{ dateofimage: null },
		]);
	},
);
