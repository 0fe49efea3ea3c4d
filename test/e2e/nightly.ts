/**
 * The nightly examples run three times over one set of files, as the e2e and queue-mode suites do it:
 * the files (a folder for examples/folder-to-catalog-nightly.json; an FTP folder and an S3 bucket
 * for the FTP and S3 examples, test/e2e/sources.ts), the change made between run 2 and run 3, the
 * copy of an example they publish (its Schedule Trigger firing every few seconds instead of at
 * 02:00), a quiet moment between two runs, and what the sandbox and the executions say each run
 * loaded.
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Sandbox } from '../../sandbox';
import type { ExecutionRecord, UserFolder } from '../real-n8n';
import { listExecutions, newN8nId, sleep } from '../real-n8n';
import type { Example } from './examples';
import { nodeOf, nodesOfType } from './examples';

export const RASTERS = join(__dirname, '..', 'fixtures', 'rasters');

export const NIGHTLY_NODES = { read: 'Read new GeoTIFFs', load: 'Load into the raster catalog' };

/** Run 1 and 2: three good rasters and a damaged one (file name → fixture in test/fixtures/rasters). */
export const NIGHTLY_FILES: Readonly<Record<string, string>> = {
	'nightly-1.tif': 'rgb-byte-tenth.tif',
	'nightly-2.tif': 'cogeo.tif',
	'nightly-3.tif': 'world.byte.tif',
	'corrupt.tif': 'corrupt.tif',
};

/** Between run 2 and run 3, besides nightly-1.tif changing: one file added, corrupt.tif fixed. */
export const NIGHTLY_ADDED_OR_FIXED: Readonly<Record<string, string>> = {
	'nightly-4.tif': 'float32.tif',
	'corrupt.tif': 'all-nodata.tif',
};

/** What run 3 must load: nightly-1.tif changed, nightly-4.tif added, corrupt.tif fixed. */
export const RUN_3_LOADS = ['corrupt.tif', 'nightly-1.tif', 'nightly-4.tif'];

/** New content for a raster: bytes appended after the TIFF's end, which readers ignore. */
export function changedRaster(bytes: Buffer): Buffer {
	return Buffer.concat([bytes, Buffer.from('\nchanged for run 3\n')]);
}

export function prepareNightlyFolder(dir: string): void {
	mkdirSync(dir, { recursive: true });
	for (const [name, from] of Object.entries(NIGHTLY_FILES))
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
	put('nightly-1.tif', changedRaster(readFileSync(join(dir, 'nightly-1.tif'))));
	for (const [name, from] of Object.entries(NIGHTLY_ADDED_OR_FIXED))
		put(name, readFileSync(join(RASTERS, from)));
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

/**
 * A moment between two scheduled runs when no execution of the folder is running: at least a fifth
 * of the period after a tick (its executions exist by then) and a fifth before the next one, checked
 * in n8n's execution records. Unlike quietMoment(), it waits for runs that last past the period's
 * middle. Returns that moment and the executions (all finished).
 */
export async function quietBetweenRuns(
	folder: UserFolder,
	seconds: number,
): Promise<{ at: number; executions: ExecutionRecord[] }> {
	const period = seconds * 1000;
	for (;;) {
		const phase = Date.now() % period;
		if (phase < period * 0.2 || phase > period * 0.8) {
			await sleep((period * 1.2 - phase) % period);
			continue;
		}
		const tickAt = Date.now() - phase;
		const records = await listExecutions(folder);
		const now = Date.now();
		const running = records.some((r) => ['new', 'running', 'waiting'].includes(r.status));
		if (!running && now - tickAt <= period * 0.8) return { at: now, executions: records };
		await sleep(1_000);
	}
}

/** A copy of an example to publish: its own ID, its Schedule Trigger firing every `seconds`. */
export function scheduledEvery(example: Example, seconds: number): Example {
	example.id = newN8nId();
	example.name = `${example.name} (every ${seconds} s)`;
	for (const trigger of nodesOfType(example, 'n8n-nodes-base.scheduleTrigger')) {
		trigger.parameters = { rule: { interval: [{ field: 'seconds', secondsInterval: seconds }] } };
	}
	return example;
}

/** A copy of the folder example to publish: its own ID, the folder, a Schedule Trigger every `seconds`. */
export function nightlyWorkflow(example: Example, dir: string, seconds: number): Example {
	scheduledEvery(example, seconds);
	nodeOf(example, NIGHTLY_NODES.read).parameters.fileSelector = `${dir}/*.tif`;
	return example;
}

/**
 * The source file names of the nightly uploads and tasks in the sandbox (since `mark`), of every
 * EverGIS user or only of `owner`.
 */
export function nightlyCounts(
	sandbox: Sandbox,
	mark: { uploads: number; tasks: number },
	owner?: string,
) {
	const source = (fileId: string) =>
		/^((?:nightly-\d|corrupt))_[0-9a-f]{12}\.tif$/.exec(fileId)?.[1];
	const ours = (record: { owner: string }) => owner === undefined || record.owner === owner;
	const uploads = sandbox
		.uploads()
		.slice(mark.uploads)
		.filter(ours)
		.map((upload) => source(upload.fileId))
		.filter((name): name is string => name !== undefined)
		.map((name) => `${name}.tif`)
		.sort();
	const tasks = sandbox
		.tasks()
		.slice(mark.tasks)
		.filter(ours)
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
