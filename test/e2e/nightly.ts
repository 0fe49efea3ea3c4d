/**
 * The nightly example (examples/folder-to-catalog-nightly.json) run three times over one folder, as
 * the e2e and queue-mode suites do it: the folder's files, the change made between run 2 and run 3,
 * the copy of the example they publish (its Schedule Trigger firing every few seconds instead of at
 * 02:00), and what the sandbox and the executions say each run loaded.
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Sandbox } from '../../sandbox';
import type { ExecutionRecord } from '../real-n8n';
import { newN8nId } from '../real-n8n';
import type { Example } from './examples';
import { nodeOf, nodesOfType } from './examples';

const RASTERS = join(__dirname, '..', 'fixtures', 'rasters');

export const NIGHTLY_NODES = { read: 'Read new GeoTIFFs', load: 'Load into the raster catalog' };

/** Run 1 and 2: three good rasters and a damaged one. */
const FIRST: Record<string, string> = {
	'nightly-1.tif': 'rgb-byte-tenth.tif',
	'nightly-2.tif': 'cogeo.tif',
	'nightly-3.tif': 'world.byte.tif',
	'corrupt.tif': 'corrupt.tif',
};

/** What run 3 must load: nightly-1.tif changed, nightly-4.tif added, corrupt.tif fixed. */
export const RUN_3_LOADS = ['corrupt.tif', 'nightly-1.tif', 'nightly-4.tif'];

export function prepareNightlyFolder(dir: string): void {
	mkdirSync(dir, { recursive: true });
	for (const [name, from] of Object.entries(FIRST))
		copyFileSync(join(RASTERS, from), join(dir, name));
}

/**
 * Between run 2 and run 3: one file changes (bytes appended after the TIFF's end, which readers
 * ignore), one is added, and corrupt.tif is replaced by a good raster under the same name. Each file
 * is written aside and renamed into place, so a run never reads half a file.
 */
export function changeNightlyFolder(dir: string): void {
	const put = (name: string, bytes: Buffer) => {
		writeFileSync(join(dir, `.${name}.part`), bytes);
		renameSync(join(dir, `.${name}.part`), join(dir, name));
	};
	put(
		'nightly-1.tif',
		Buffer.concat([readFileSync(join(dir, 'nightly-1.tif')), Buffer.from('\nchanged for run 3\n')]),
	);
	put('nightly-4.tif', readFileSync(join(RASTERS, 'float32.tif')));
	put('corrupt.tif', readFileSync(join(RASTERS, 'all-nodata.tif')));
}

/**
 * Waits for the middle of the schedule's period (n8n's Schedule Trigger fires every `seconds` at
 * whole multiples of the wall clock: `*\/30 * * * * *`), when no run is reading the folder, so
 * that whatever the folder becomes now, every later run sees all of it and no earlier one any.
 * Returns that moment.
 */
export async function quietMoment(seconds: number): Promise<number> {
	const period = seconds * 1000;
	for (;;) {
		const phase = Date.now() % period;
		if (phase >= period * 0.4 && phase <= period * 0.6) return Date.now();
		const wait = (period * 0.45 - phase + period) % period;
		await new Promise((resolve) => setTimeout(resolve, Math.max(50, wait)));
	}
}

/** A copy of the example to publish: its own ID, the folder, a Schedule Trigger every `seconds`. */
export function nightlyWorkflow(example: Example, dir: string, seconds: number): Example {
	example.id = newN8nId();
	example.name = `${example.name} (every ${seconds} s)`;
	for (const trigger of nodesOfType(example, 'n8n-nodes-base.scheduleTrigger')) {
		trigger.parameters = { rule: { interval: [{ field: 'seconds', secondsInterval: seconds }] } };
	}
	nodeOf(example, NIGHTLY_NODES.read).parameters.fileSelector = `${dir}/*.tif`;
	return example;
}

/** The source file names of the nightly uploads and tasks in the sandbox (since `mark`). */
export function nightlyCounts(sandbox: Sandbox, mark: { uploads: number; tasks: number }) {
	const source = (fileId: string) =>
		/^((?:nightly-\d|corrupt))_[0-9a-f]{12}\.tif$/.exec(fileId)?.[1];
	const uploads = sandbox
		.uploads()
		.slice(mark.uploads)
		.map((upload) => source(upload.fileId))
		.filter((name): name is string => name !== undefined)
		.map((name) => `${name}.tif`)
		.sort();
	const tasks = sandbox
		.tasks()
		.slice(mark.tasks)
		.filter((task) => (task.body.files as string[]).some((id) => source(id) !== undefined));
	return { uploads, tasks };
}

export function sandboxMark(sandbox: Sandbox) {
	return { uploads: sandbox.uploads().length, tasks: sandbox.tasks().length };
}

/** What the EverGIS node output in one execution: file names by outcome. */
export function nightlyOutcome(record: ExecutionRecord) {
	const run = record.data?.resultData.runData[NIGHTLY_NODES.load]?.[0];
	const items = (run?.data?.main?.[0] ?? []).map((item) => item.json);
	const names = (json: Record<string, unknown>) =>
		((json.files ?? []) as Array<{ name: string } | string>).map((file) =>
			typeof file === 'string' ? file : file.name,
		);
	const pick = (test: (json: Record<string, unknown>) => boolean) =>
		items.filter(test).flatMap(names).sort();
	return {
		completed: pick((json) => json.status === 'Completed'),
		skipped: pick((json) => json.skipped === true),
		failed: pick((json) => json.skipped !== true && json.status !== 'Completed'),
	};
}
