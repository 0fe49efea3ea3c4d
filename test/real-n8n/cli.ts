import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { freePort } from './ports';
import { runProcess, type ExitInfo } from './processes';
import { logStep } from './timing';
import type { UserFolder } from './user-folder';

/** A workflow as n8n exports and imports it. */
export interface WorkflowJson {
	id?: string;
	name: string;
	nodes: Array<Record<string, unknown>>;
	connections: Record<string, unknown>;
	active?: boolean;
	settings?: Record<string, unknown>;
	[key: string]: unknown;
}

/** A credential for `n8n import:credentials`: `data` in clear (n8n encrypts it on import). */
export interface CredentialJson {
	id?: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
	[key: string]: unknown;
}

export interface CommandResult {
	exit: ExitInfo;
	stdout: string[];
	stderr: string[];
	lines: string[];
}

export interface RunN8nOptions {
	env?: Record<string, string>;
	timeoutMs?: number;
	/** Do not reject on a non-zero exit code. */
	allowFailure?: boolean;
	/** A name for logs; default `n8n <first argument>`. */
	name?: string;
}

/** An id in n8n's style (16 letters and digits). */
export function newN8nId(): string {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
	return [...randomBytes(16)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

let fileCounter = 0;

/**
 * Runs an n8n CLI command (`n8n <args>`) on the folder's Node (24 for 2.x) with its environment and ports of its
 * own (every n8n command that runs workflows starts a task broker, whose default port would clash).
 */
export async function runN8n(
	folder: UserFolder,
	args: string[],
	options: RunN8nOptions = {},
): Promise<CommandResult> {
	const name = options.name ?? `n8n ${args[0] ?? ''}`;
	const env = {
		...folder.env,
		N8N_PORT: String(await freePort()),
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		...options.env,
	};
	const safeName = name.replace(/[^a-zA-Z0-9_.-]+/g, '-');
	return runProcess(folder.install.node, [folder.install.n8nBin, ...args], {
		name,
		env,
		cwd: folder.root,
		timeoutMs: options.timeoutMs ?? 5 * 60_000,
		allowFailure: options.allowFailure,
		logFile: join(folder.logsDir, `${safeName}.log`),
	});
}

function writeImportFile(folder: UserFolder, kind: string, content: unknown): string {
	const file = join(folder.root, 'import', `${kind}-${++fileCounter}.json`);
	writeFileSync(file, JSON.stringify(content, null, 2));
	return file;
}

/**
 * `n8n import:workflow --input=<file>`. Workflows without an id (or versionId) get one; returns the
 * ids in order.
 * Imported workflows are not active: publish them with publishWorkflow() before `n8n start`.
 */
export async function importWorkflow(
	folder: UserFolder,
	workflow: WorkflowJson | WorkflowJson[],
	options: RunN8nOptions = {},
): Promise<string[]> {
	const list = (Array.isArray(workflow) ? workflow : [workflow]).map((wf) => ({
		...wf,
		id: wf.id ?? newN8nId(),
		// n8n 2.0 does not make one up on import (NOT NULL constraint failed: workflow_entity.versionId).
		versionId: wf.versionId ?? randomUUID(),
		active: wf.active ?? false,
		settings: wf.settings ?? {},
	}));
	const file = writeImportFile(folder, 'workflows', list);
	await logStep(`n8n import:workflow (${list.map((wf) => wf.id).join(', ')})`, () =>
		runN8n(folder, ['import:workflow', `--input=${file}`], options),
	);
	return list.map((wf) => wf.id);
}

/** `n8n import:credentials --input=<file>`, data in clear. Returns the ids in order. */
export async function importCredentials(
	folder: UserFolder,
	credentials: CredentialJson | CredentialJson[],
	options: RunN8nOptions = {},
): Promise<string[]> {
	const list = (Array.isArray(credentials) ? credentials : [credentials]).map((credential) => ({
		...credential,
		id: credential.id ?? newN8nId(),
	}));
	const file = writeImportFile(folder, 'credentials', list);
	await logStep(`n8n import:credentials (${list.map((c) => c.id).join(', ')})`, () =>
		runN8n(folder, ['import:credentials', `--input=${file}`], options),
	);
	return list.map((credential) => credential.id);
}

/**
 * Activates a workflow from the CLI: `n8n publish:workflow --id=<id>` in n8n 2.x, `n8n
 * update:workflow --id=<id> --active=true` in 1.x (which has no publish). n8n reads it at start:
 * publish before startN8n(), or restart n8n.
 */
export async function publishWorkflow(
	folder: UserFolder,
	id: string,
	options: RunN8nOptions & { versionId?: string } = {},
): Promise<void> {
	if (folder.install.major < 2) {
		await logStep(`n8n update:workflow ${id} --active=true`, () =>
			runN8n(folder, ['update:workflow', `--id=${id}`, '--active=true'], options),
		);
		return;
	}
	const args = ['publish:workflow', `--id=${id}`];
	if (options.versionId) args.push(`--versionId=${options.versionId}`);
	await logStep(`n8n publish:workflow ${id}`, () => runN8n(folder, args, options));
}

/** One node's run in n8n's run data. */
export interface NodeRun {
	startTime?: number;
	executionTime?: number;
	executionStatus?: string;
	data?: { main?: Array<Array<{ json: Record<string, unknown>; [key: string]: unknown }> | null> };
	error?: Record<string, unknown>;
	[key: string]: unknown;
}

/** What n8n keeps of one execution (IRun): status and the run data. */
export interface ExecutionRun {
	status?: string;
	mode?: string;
	finished?: boolean;
	startedAt?: string;
	stoppedAt?: string;
	data: {
		resultData: {
			runData: Record<string, NodeRun[]>;
			error?: Record<string, unknown>;
			lastNodeExecuted?: string;
		};
		[key: string]: unknown;
	};
	[key: string]: unknown;
}

export interface ExecuteResult {
	/** The run n8n printed (also when the workflow failed). */
	run: ExecutionRun;
	/** run.data.resultData.runData */
	runData: Record<string, NodeRun[]>;
	/** run.data.resultData.error, when the workflow failed. */
	error?: Record<string, unknown>;
	exit: ExitInfo;
	/** Everything n8n printed (JSON log lines). */
	lines: string[];
}

function isExecutionRun(value: unknown): value is ExecutionRun {
	if (!value || typeof value !== 'object') return false;
	const data = (value as { data?: { resultData?: unknown } }).data;
	return (
		!!data && typeof data === 'object' && !!data.resultData && typeof data.resultData === 'object'
	);
}

/**
 * Runs a workflow once with `n8n execute --id <id> --rawOutput` and returns the run data n8n printed.
 * n8n prints it through its logger, so the command runs with N8N_LOG_LEVEL=info and
 * N8N_LOG_FORMAT=json: every stdout line is then one JSON object whose `message` holds the text, and
 * the run data is the message that parses to an object with `data.resultData` (n8n 1.85 prints it
 * as plain JSON over several lines instead). A workflow that fails also prints its run data (and
 * n8n exits non-zero): the result then has `error` set; this function
 * rejects only when no run data was printed at all.
 */
export async function executeWorkflow(
	folder: UserFolder,
	id: string,
	options: RunN8nOptions = {},
): Promise<ExecuteResult> {
	const result = await logStep(`n8n execute ${id}`, () =>
		runN8n(folder, ['execute', `--id=${id}`, '--rawOutput'], {
			...options,
			allowFailure: true,
			env: { N8N_LOG_LEVEL: 'info', N8N_LOG_FORMAT: 'json', ...options.env },
		}),
	);
	let run: ExecutionRun | undefined;
	for (const line of result.stdout) {
		if (!line.startsWith('{')) continue;
		let entry: unknown;
		try {
			entry = JSON.parse(line);
		} catch {
			continue;
		}
		const message = (entry as { message?: unknown }).message;
		if (typeof message !== 'string' || !message.trimStart().startsWith('{')) continue;
		try {
			const parsed: unknown = JSON.parse(message);
			if (isExecutionRun(parsed)) run = parsed;
		} catch {
			// a message that only looks like JSON
		}
	}
	// n8n 1.85 prints the run data itself, as JSON over several lines, instead of through its logger.
	run ??= runFromPlainOutput(result.stdout);
	if (!run) {
		throw new Error(
			`n8n execute --id=${id} printed no run data (exit ${JSON.stringify(result.exit)}); output:\n` +
				result.lines.slice(-60).join('\n'),
		);
	}
	return {
		run,
		runData: run.data.resultData.runData,
		error: run.data.resultData.error,
		exit: result.exit,
		lines: result.lines,
	};
}

/** The run data as a JSON document over several lines of stdout (from a line that is just `{`). */
function runFromPlainOutput(stdout: string[]): ExecutionRun | undefined {
	const last = stdout.map((line) => line.trimEnd()).lastIndexOf('}');
	for (let start = 0; start < last; start++) {
		if (stdout[start].trimEnd() !== '{') continue;
		try {
			const parsed: unknown = JSON.parse(stdout.slice(start, last + 1).join('\n'));
			if (isExecutionRun(parsed)) return parsed;
		} catch {
			// not a JSON document from here
		}
	}
	return undefined;
}

/** The JSON of the items a node put out: `nodeItems(runData, 'Echo')` is run 0, output 0. */
export function nodeItems(
	runData: Record<string, NodeRun[]>,
	node: string,
	runIndex = 0,
	outputIndex = 0,
): Array<Record<string, unknown>> {
	const run = runData[node]?.[runIndex];
	if (!run)
		throw new Error(
			`node "${node}" has no run ${runIndex}; ran: ${Object.keys(runData).join(', ')}`,
		);
	return (run.data?.main?.[outputIndex] ?? []).map((item) => item.json);
}

/**
 * The node types this n8n loads (`n8n export:nodes`), e.g. to check that a community package was
 * loaded: its nodes are named `<package name>.<node name>` (plus `<node name>Tool` variants).
 */
export async function exportNodeTypes(
	folder: UserFolder,
	options: RunN8nOptions = {},
): Promise<Array<{ name: string; displayName?: string; version?: number | number[] }>> {
	const file = join(folder.root, 'import', `node-types-${++fileCounter}.json`);
	await logStep('n8n export:nodes', () =>
		runN8n(folder, ['export:nodes', `--output=${file}`], options),
	);
	return JSON.parse(readFileSync(file, 'utf8')) as Array<{
		name: string;
		displayName?: string;
		version?: number | number[];
	}>;
}
