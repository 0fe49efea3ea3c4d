/**
 * Skip Files Already Loaded as n8n runs it in production: workflows published with a Schedule
 * Trigger, so that each run is a `trigger` execution whose static data n8n keeps. Two paths of
 * the option's rule ("a file whose task was created counts as loaded unless its task is known to
 * have ended other than Completed"), each with its own folder, sandbox and credential:
 * - one item with two files (One Task per File) whose second task EverGIS refuses (400);
 * - a wait that times out (the node's Timeout shorter than the tasks), for a good and a damaged file.
 * What each run did is read from n8n's execution records (the node's items) and counted at the
 * sandbox within the run's time (uploads by source file, tasks).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import type { Sandbox } from '../../sandbox';
import { newN8nId, type ExecutionRecord, type WorkflowJson } from '../real-n8n';
import type { RequestLog } from './support';

const RASTERS = join(__dirname, '..', 'fixtures', 'rasters');

export const LOAD_NODE = 'Load into the raster catalog';

/** The files of the one-item path: two rasters, read into one item (Aggregate with binaries). */
export const ONE_ITEM_FILES: Record<string, string> = {
	'first.tif': 'rgb-byte-tenth.tif',
	'second.tif': 'cogeo.tif',
};
/** The files of the timed-out path: a good raster and a damaged one. */
export const TIMED_OUT_FILES: Record<string, string> = {
	'good.tif': 'world.byte.tif',
	'corrupt.tif': 'corrupt.tif',
};
/** The node's Timeout (s) on the timed-out path: the tasks of its first run run until ended by hand. */
export const TIMED_OUT_TIMEOUT_S = 4;

export function prepareFolder(dir: string, files: Record<string, string>): string {
	mkdirSync(dir, { recursive: true });
	for (const [name, from] of Object.entries(files))
		copyFileSync(join(RASTERS, from), join(dir, name));
	return dir;
}

type Credential = { id: string; name: string };

function node(
	name: string,
	type: string,
	typeVersion: number,
	x: number,
	parameters: Record<string, unknown>,
	extra: Record<string, unknown> = {},
): Record<string, unknown> {
	return { id: newN8nId(), name, type, typeVersion, position: [x, 0], parameters, ...extra };
}

/** Schedule Trigger (every `seconds`) → Read/Write Files from Disk (the folder's *.tif) → …nodes. */
function scheduled(
	name: string,
	dir: string,
	seconds: number,
	nodes: Array<Record<string, unknown>>,
): WorkflowJson & { id: string } {
	const all = [
		node('Every few seconds', 'n8n-nodes-base.scheduleTrigger', 1.2, 0, {
			rule: { interval: [{ field: 'seconds', secondsInterval: seconds }] },
		}),
		node('Read the folder', 'n8n-nodes-base.readWriteFile', 1, 220, {
			operation: 'read',
			fileSelector: `${dir}/*.tif`,
			options: {},
		}),
		...nodes,
	];
	const connections: Record<string, unknown> = {};
	for (let i = 0; i + 1 < all.length; i++) {
		connections[all[i].name as string] = {
			main: [[{ node: all[i + 1].name, type: 'main', index: 0 }]],
		};
	}
	return { id: newN8nId(), name, nodes: all, connections, settings: { executionOrder: 'v1' } };
}

function loadNode(credential: Credential, x: number, parameters: Record<string, unknown>) {
	return node(
		LOAD_NODE,
		'n8n-nodes-evergis.everGisTiling',
		1,
		x,
		{
			resource: 'raster',
			operation: 'uploadToCatalog',
			catalog: { __rl: true, mode: 'name', value: 'demo.landsat_images' },
			attributes: { attribute: [{ name: 'name', value: 'e2e: loaded on a schedule' }] },
			skipAlreadyLoaded: true,
			matchFilesBy: 'content',
			...parameters,
		},
		// Settings → On Error → Continue: a failed item is an error item, the run goes on.
		{ onError: 'continueRegularOutput', credentials: { everGisApi: { ...credential } } },
	);
}

/** The folder's two files in one item (n8n's Aggregate, Include Binaries), One Task per File. */
export function oneItemWorkflow(credential: Credential, dir: string, seconds: number) {
	return scheduled(`E2E: two files in one item, every ${seconds} s`, dir, seconds, [
		node('Into one item', 'n8n-nodes-base.aggregate', 1, 440, {
			aggregate: 'aggregateAllItemData',
			destinationFieldName: 'files',
			options: { includeBinaries: true },
		}),
		loadNode(credential, 660, {
			inputSource: 'allBinary',
			taskPer: 'file',
			options: { pollInterval: 1 },
		}),
	]);
}

/** One item per file; the node stops waiting after TIMED_OUT_TIMEOUT_S. */
export function timedOutWorkflow(credential: Credential, dir: string, seconds: number) {
	return scheduled(`E2E: a wait that times out, every ${seconds} s`, dir, seconds, [
		loadNode(credential, 440, {
			options: { pollInterval: 1, timeout: TIMED_OUT_TIMEOUT_S },
		}),
	]);
}

/** The source file name of an upload or task file (`<name>_<12 hex>.tif` → `<name>.tif`). */
export function sourceName(fileId: string): string {
	return fileId.replace(/_[0-9a-f]{12}(\.\w+)$/, '$1');
}

/** What the sandbox counted during an execution: uploads by source file, tasks by source files. */
export function countsDuring(sandbox: Sandbox, record: ExecutionRecord) {
	const from = Date.parse(record.startedAt ?? '');
	const to = Date.parse(record.stoppedAt ?? '') || Date.now();
	const within = (iso: string) => Date.parse(iso) >= from && Date.parse(iso) <= to;
	return {
		uploads: sandbox
			.uploads()
			.filter((upload) => within(upload.storedAt))
			.map((upload) => sourceName(upload.fileId))
			.sort(),
		tasks: sandbox
			.tasks()
			.filter((task) => within(task.createdAt))
			.map((task) => (task.body.files as string[]).map(sourceName).join(',')),
	};
}

export interface LoadItem {
	/** 'skipped', 'error' or the task's status. */
	kind: string;
	/** The item's file names, comma-separated ('' for an error item without files). */
	files: string;
	/** A skipped item's reason ('alreadyLoaded', 'beingLoaded'), an error item's message. */
	says: string;
	json: Record<string, unknown>;
}

/** The load node's items in one run, sorted by file names. */
export function loadItems(record: ExecutionRecord): LoadItem[] {
	const run = record.data?.resultData.runData[LOAD_NODE]?.[0];
	return (run?.data?.main?.[0] ?? [])
		.map(({ json }) => {
			const files = ((json.files ?? []) as Array<{ name: string } | string>)
				.map((file) => (typeof file === 'string' ? file : file.name))
				.join(',');
			const kind =
				json.skipped === true
					? 'skipped'
					: typeof json.error === 'string'
						? 'error'
						: String(json.status);
			const says =
				json.skipped === true
					? String(json.reason)
					: typeof json.error === 'string'
						? json.error
						: '';
			return { kind, files, says, json };
		})
		.sort((a, b) => a.files.localeCompare(b.files));
}

/**
 * The timed-out path's tasks: those of run 1 run until ended here; from then on tasks take 1 s (run
 * 3's retry of the damaged file fails by the sandbox's raster check, within the node's Timeout).
 * Once run 2 has asked both tasks (its look-up, at least 10 s after they were created: run 1
 * stopped asking after its Timeout), they end: the good one Completed, the damaged one Failed.
 * Returns what ended and when.
 */
export async function driveTimedOut(
	sandbox: Sandbox,
	log: RequestLog,
): Promise<{ endedAt: number; good: string; corrupt: string }> {
	const [first, second] = await log.waitFor(
		() => {
			const tasks = sandbox.tasks();
			return tasks.length >= 2 ? tasks : undefined;
		},
		4 * 60_000,
		'run 1 of the timed-out path created its two tasks',
	);
	sandbox.setOptions({ taskDurationMs: 1_000 });
	await log.waitFor(
		() =>
			[first, second].every((task) =>
				log
					.progressOf(task.id)
					.some(
						(request) =>
							request.at > Date.parse(task.createdAt) + 10_000 && request.outcome === '200',
					),
			),
		3 * 60_000,
		'run 2 of the timed-out path asked both tasks',
	);
	const isCorrupt = (task: typeof first) =>
		(task.body.files as string[]).some((file) => sourceName(file) === 'corrupt.tif');
	const corrupt = isCorrupt(first) ? first : second;
	const good = corrupt === first ? second : first;
	sandbox.finishTask(good.id, 'Completed');
	sandbox.finishTask(corrupt.id, 'Failed', "File 'corrupt.tif' is damaged (ended by the e2e test)");
	return { endedAt: Date.now(), good: good.id, corrupt: corrupt.id };
}
