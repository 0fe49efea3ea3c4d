import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { TestEngine } from '../helpers/engine';
import { tilingWorkflow, uploadParameters } from '../helpers/workflows';

let sandbox: Sandbox;
let engine: TestEngine;

beforeAll(async () => {
	sandbox = await startSandbox({ taskDurationMs: 300 });
	engine = await TestEngine.create();
	engine.setCredentials('cred-1', {
		host: sandbox.url,
		username: 'demo',
		password: 'demo-password',
	});
});
afterAll(async () => await sandbox.close());

test('smoke: one file into demo.landsat_images', async () => {
	const result = await engine.run(
		tilingWorkflow(uploadParameters('demo.landsat_images', { options: { pollInterval: 0.1 } })),
	);
	if (result.error) console.log(result.error, result.error.description);
	console.log(JSON.stringify(result.output('EverGIS'), null, 1).slice(0, 3000));
	console.log(sandbox.stats());
	expect(result.error).toBeUndefined();
});
