/**
 * `npm run demo`: the package's main job, end to end, on this machine alone. It starts the local
 * EverGIS sandbox, then runs a workflow through n8n's real execution engine (n8n-core, in this
 * process): Manual Trigger → read the Landsat sample from disk into n8n's binary data →
 * EverGIS Tiling (Raster → Upload to Catalog, wait for completion), and prints what a user
 * wants to know: the task, its status, the tiles created and how long it took.
 */
import { join } from 'node:path';

import { startSandbox } from '../sandbox';
import { NODE, TestEngine } from '../test/helpers/engine';

const SAMPLE = join(__dirname, '..', '..', 'test', 'fixtures', 'rasters', 'RGB.byte.tif');

async function main() {
	const sandbox = await startSandbox({
		taskDurationMs: Number(process.env.EVERGIS_SANDBOX_TASK_DURATION_MS ?? 3000),
	});
	try {
		console.log(`EverGIS sandbox: ${sandbox.url} (user demo)`);
		const engine = await TestEngine.create();
		engine.setCredentials('demo', {
			host: sandbox.url,
			username: 'demo',
			password: 'demo-password',
		});
		const workflow = {
			name: 'Landsat into a raster catalog',
			nodes: [
				{ name: 'Manual Trigger', type: NODE.manualTrigger, parameters: {} },
				{
					name: 'Read Landsat sample',
					type: NODE.fileItems,
					parameters: {
						items: JSON.stringify([
							{
								json: { scene: 'LE07 crop', captured: '2001-03-13T15:20:00Z' },
								files: { data: SAMPLE },
							},
						]),
					},
				},
				{
					name: 'EverGIS Tiling',
					type: NODE.tiling,
					credentials: { everGisApi: { id: 'demo', name: 'EverGIS sandbox' } },
					parameters: {
						resource: 'raster',
						operation: 'uploadToCatalog',
						catalog: { __rl: true, mode: 'list', value: 'demo.landsat_images' },
						attributes: {
							attribute: [
								{ name: 'name', value: '={{ "Landsat-7 " + $json.scene }}' },
								{ name: 'dateofimage', value: '={{ $json.captured }}' },
							],
						},
						options: { pollInterval: 1 },
					},
				},
			],
			connections: {
				'Manual Trigger': {
					main: [[{ node: 'Read Landsat sample', type: 'main' as const, index: 0 }]],
				},
				'Read Landsat sample': {
					main: [[{ node: 'EverGIS Tiling', type: 'main' as const, index: 0 }]],
				},
			},
		};
		console.log(
			`Workflow "${workflow.name}": ${workflow.nodes.map((node) => node.name).join(' → ')}`,
		);
		const result = await engine.run(workflow);
		if (result.error) {
			console.error(
				`The workflow failed: ${result.error.message}\n${result.error.description ?? ''}`,
			);
			process.exitCode = 1;
			return;
		}
		for (const item of result.output('EverGIS Tiling')) {
			const json = item.json as {
				taskId: string;
				status: string;
				tilesCreated: number | null;
				serviceName: string;
				files: Array<{ name: string; fileId: string; size: number }>;
				submittedAt: string;
				finishedAt: string;
				attributes: object;
			};
			const waited = (Date.parse(json.finishedAt) - Date.parse(json.submittedAt)) / 1000;
			console.log('');
			console.log(`  task          ${json.taskId}`);
			console.log(`  status        ${json.status}`);
			console.log(`  tiles created ${json.tilesCreated}`);
			console.log(`  catalog       ${json.serviceName}`);
			for (const file of json.files) {
				console.log(
					`  file          ${file.name} (${(file.size / 1024 / 1024).toFixed(1)} MiB), uploaded as ${file.fileId}`,
				);
			}
			console.log(`  attributes    ${JSON.stringify(json.attributes)}`);
			console.log(
				`  took          ${(result.durationMs / 1000).toFixed(1)} s in all (${waited.toFixed(1)} s from task submitted to Completed)`,
			);
		}
		const stats = sandbox.stats();
		console.log('');
		console.log(
			`Requests the sandbox saw: ${stats.logins} login, ${stats.requests.layer} catalog check, ${stats.requests.upload} upload, ${stats.requests.createTask} task, ${stats.requests.progress} progress polls.`,
		);
		console.log(
			`The catalog now holds: ${sandbox
				.catalog('demo.landsat_images')
				?.rasters.map((raster) => raster.fileId)
				.join(', ')}`,
		);
	} finally {
		await sandbox.close();
	}
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
