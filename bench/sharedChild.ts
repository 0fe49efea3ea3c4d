import type { IExecuteFunctions, INodeExecutionData, INodeType } from 'n8n-workflow';

import { EverGisTiling } from '../nodes/EverGis/EverGisTiling.node';
import { POLL_BACKOFF } from '../nodes/EverGis/model/pollSchedule';
import { REQUEST_LIMIT, RequestLimit } from '../nodes/EverGis/transport/requestLimit';
import { RETRY } from '../nodes/EverGis/transport/retry';
import * as tasksModule from '../nodes/EverGis/transport/tasks';
import { NODE, TestEngine, capturedLogs } from '../test/helpers/engine';
import { CREDENTIALS, tilingWorkflow, uploadParameters } from '../test/helpers/workflows';
import type { FileItemSpec } from '../test/helpers/testNodes';
import type {
	ExecResult,
	ExecScenario,
	FromSharedChild,
	NodePatch,
	ToSharedChild,
} from './sharedProtocol';
import { USER } from './sandboxProcess';

// One execution of Raster → Upload to Catalog (wait on) in a fresh process, forked by
// bench/sharedServer.ts. n8n's engine runs in-process, the sandbox elsewhere. The files are read
// into binary storage first; then the node's execute() tells the parent it is ready and waits for
// its go, so that several children (several "workers") start their nodes together.

const CATALOG = 'demo.landsat_images';
const MEASURED = 'bench.sharedMeasured';

let go: (() => void) | undefined;
const released = new Promise<void>((resolve) => (go = resolve));

process.on('message', (message: ToSharedChild) => {
	if (message.type === 'go') go?.();
	else if (message.type === 'run') void main(message.scenario);
});

function send(message: FromSharedChild, then?: () => void): void {
	if (!process.send) throw new Error('bench/sharedChild.js runs forked by bench/run.js');
	process.send(message, undefined, {}, () => then?.());
}

/** Bench-only changes to the node's behaviour (see NodePatch); this process only. */
function applyPatch(patch: NodePatch): void {
	if (patch.fixedLimit !== undefined) {
		REQUEST_LIMIT.initial = patch.fixedLimit;
		REQUEST_LIMIT.ceiling = patch.fixedLimit;
		(RequestLimit.prototype as unknown as { learn: () => void }).learn = () => undefined;
	}
	if (patch.fixedPoll) POLL_BACKOFF.fractionOfAge = 0;
	Object.assign(RETRY, patch.retry ?? {});
	Object.assign(REQUEST_LIMIT, patch.limit ?? {});
	if (patch.progressRetries) {
		const original = tasksModule.getTaskProgress;
		(tasksModule as { getTaskProgress: typeof original }).getTaskProgress = async (
			run,
			taskId,
			options = {},
		) => await original(run, taskId, { ...options, maxAttempts: undefined });
	}
	if (patch.trace) {
		const proto = RequestLimit.prototype as unknown as {
			learn: (this: { window: number }, ...args: unknown[]) => void;
		};
		const learn = proto.learn;
		proto.learn = function (this: { window: number }, ...args: unknown[]) {
			learn.apply(this, args);
			if (timing.startedAt > 0) windows.push([Date.now() - timing.startedAt, this.window]);
		};
		const push = capturedLogs.push.bind(capturedLogs);
		capturedLogs.push = (...lines) => {
			for (const line of lines) {
				if (!/failed, retrying$/.test(line.message)) continue;
				const m = line.metadata as { attempt: number; delayMs: number; status?: number };
				retries.push([Date.now() - timing.startedAt, m.attempt, m.delayMs, m.status]);
			}
			return push(...lines);
		};
	}
}

const timing = { startedAt: 0, endedAt: 0, nodeMs: 0 };
const windows: Array<[number, number]> = [];
const retries: Array<[number, number, number, number | undefined]> = [];

/** The node, with its execute() held until the parent's go, and timed. */
function measured(inner: INodeType): INodeType {
	const execute = inner.execute;
	if (!execute) throw new Error('the node has no execute()');
	return {
		description: inner.description,
		methods: inner.methods,
		async execute(this: IExecuteFunctions) {
			send({ type: 'ready' });
			await released;
			timing.startedAt = Date.now();
			const started = performance.now();
			try {
				return await execute.call(this);
			} finally {
				timing.nodeMs = performance.now() - started;
				timing.endedAt = Date.now();
			}
		},
	};
}

async function run(scenario: ExecScenario): Promise<ExecResult> {
	applyPatch(scenario.patch);
	const engine = await TestEngine.create();
	// Fresh credentials: no token yet, so the execution's first request logs in.
	engine.setCredentials(CREDENTIALS.everGisApi.id, { host: scenario.url, ...USER });
	engine.nodeTypes.register(MEASURED, measured(new EverGisTiling()));
	const options =
		scenario.pollInterval === undefined ? {} : { pollInterval: scenario.pollInterval };
	const items: FileItemSpec[] = scenario.files.map((file, n) =>
		file === null ? { json: { n } } : { json: { n }, files: { data: file } },
	);
	const spec = tilingWorkflow(uploadParameters(CATALOG, { options }), items);
	const node = spec.nodes.find((n) => n.type === NODE.tiling);
	if (!node) throw new Error('no EverGIS node in the workflow');
	node.type = MEASURED;
	const result = await engine.run(spec);
	const output: INodeExecutionData[] = result.output('EverGIS');
	const statuses: Record<string, number> = {};
	const taskIds: string[] = [];
	for (const item of output) {
		const status =
			item.json.error !== undefined
				? 'error'
				: typeof item.json.status === 'string'
					? item.json.status
					: 'ok';
		statuses[status] = (statuses[status] ?? 0) + 1;
		if (typeof item.json.taskId === 'string') taskIds.push(item.json.taskId);
	}
	if (timing.startedAt === 0) {
		throw new Error(
			`the node never ran: ${result.error?.message ?? 'no error'} (${result.error?.description ?? ''})`,
		);
	}
	return {
		...timing,
		trace: scenario.patch.trace ? { windows, retries } : undefined,
		items: output.length,
		statuses,
		taskIds,
		error: result.error?.message,
		errorDescription: result.error?.description,
	};
}

async function main(scenario: ExecScenario): Promise<void> {
	try {
		const result = await run(scenario);
		send({ type: 'result', result }, () => process.exit(0));
	} catch (error) {
		send({ type: 'failed', message: (error as Error).stack ?? String(error) }, () =>
			process.exit(1),
		);
	}
}
