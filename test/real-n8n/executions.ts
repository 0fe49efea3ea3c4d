import { join } from 'node:path';

import type { ExecutionRun } from './cli';
import { repoRoot } from './install';
import { runProcess } from './processes';
import { sleep } from './server';
import type { UserFolder } from './user-folder';

/** One row of n8n's execution_entity (and, when asked, its run data from execution_data). */
export interface ExecutionRecord {
	id: string;
	workflowId: string;
	/** 'success', 'error', 'running', 'new', 'waiting', 'canceled', 'crashed' */
	status: string;
	/** 'cli', 'manual', 'trigger', 'webhook', 'integrated', ... */
	mode: string;
	finished: boolean;
	createdAt: string | null;
	startedAt: string | null;
	stoppedAt: string | null;
	waitTill: string | null;
	retryOf: string | null;
	storedAt: string;
	/** The run data ({ resultData: { runData } ...}), with `includeData`. */
	data?: ExecutionRun['data'] | null;
}

export interface ListExecutionsOptions {
	includeData?: boolean;
	workflowId?: string;
}

/**
 * n8n's own execution records, read from its database (SQLite in the user folder, or the folder's
 * PostgreSQL) by scripts/real-n8n/query-executions.js, run on the Node that runs n8n with its drivers.
 * Works while n8n runs (SQLite is read in WAL mode) and after it stopped.
 */
export async function listExecutions(
	folder: UserFolder,
	options: ListExecutionsOptions = {},
): Promise<ExecutionRecord[]> {
	const args = [
		join(repoRoot(), 'scripts', 'real-n8n', 'query-executions.js'),
		'--app',
		folder.install.app,
	];
	if (options.includeData) args.push('--data');
	if (options.workflowId) args.push('--workflow', options.workflowId);
	const result = await runProcess(folder.install.node, args, {
		name: 'query-executions',
		env: folder.env,
		timeoutMs: 60_000,
		maxLines: 10,
	});
	const text = result.stdout.join('\n').trim();
	return JSON.parse(text === '' ? '[]' : text) as ExecutionRecord[];
}

/**
 * Polls listExecutions until `until(records)` is true; returns those records. Default: until at least
 * one execution has finished (not 'new', 'running' or 'waiting').
 */
export async function waitForExecutions(
	folder: UserFolder,
	options: ListExecutionsOptions & {
		until?: (records: ExecutionRecord[]) => boolean;
		timeoutMs?: number;
		intervalMs?: number;
	} = {},
): Promise<ExecutionRecord[]> {
	const until =
		options.until ??
		((records: ExecutionRecord[]) =>
			records.some((r) => !['new', 'running', 'waiting'].includes(r.status)));
	const deadline = Date.now() + (options.timeoutMs ?? 60_000);
	let records: ExecutionRecord[] = [];
	for (;;) {
		records = await listExecutions(folder, options);
		if (until(records)) return records;
		if (Date.now() > deadline) {
			throw new Error(
				`waitForExecutions: condition not met within ${options.timeoutMs ?? 60_000} ms; records: ` +
					JSON.stringify(records.map(({ data: _data, ...rest }) => rest)),
			);
		}
		await sleep(options.intervalMs ?? 1_000);
	}
}

/** The tables of n8n 2.40 about a workflow's triggers that workflowRows() reads. */
export type TriggerTable =
	'workflow_publication_trigger_status' | 'poller_state' | 'scheduled_task';

/**
 * The workflow's rows of one of n8n 2.40's trigger tables, as stored (JSON columns parsed):
 * `workflow_publication_trigger_status` says whether each trigger was activated ('activated') or
 * not ('failed', with its errorMessage); `poller_state` holds a poll trigger's durable cursor (the
 * durable scheduler with N8N_POLLER_DURABLE_CURSORS_ENABLED); `scheduled_task` has a row per poll
 * the durable scheduler ran (taskType 'workflow:poll-trigger', its status). [] in a release without
 * the table.
 */
export async function workflowRows(
	folder: UserFolder,
	table: TriggerTable,
	workflowId: string,
): Promise<Array<Record<string, unknown>>> {
	const result = await runProcess(
		folder.install.node,
		[
			join(repoRoot(), 'scripts', 'real-n8n', 'query-executions.js'),
			'--app',
			folder.install.app,
			'--rows',
			table,
			'--workflow',
			workflowId,
		],
		{ name: `query ${table}`, env: folder.env, timeoutMs: 60_000, maxLines: 10 },
	);
	const text = result.stdout.join('\n').trim();
	return JSON.parse(text === '' ? '[]' : text) as Array<Record<string, unknown>>;
}
