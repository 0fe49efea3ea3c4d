import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeParameters,
	INodeType,
} from 'n8n-workflow';

import { EverGisTiling } from '../nodes/EverGis/EverGisTiling.node';
import type { RunResult, WorkflowSpec } from '../test/helpers/engine';
import { NODE, TestEngine } from '../test/helpers/engine';
import { CREDENTIALS, tilingWorkflow, uploadParameters } from '../test/helpers/workflows';
import { BINARY_REFERENCE_NODE, BinaryReference, BufferedUpload } from './benchNodes';
import type {
	FromChild,
	RunSummary,
	Scenario,
	ScenarioResult,
	ToChild,
	TriggerPoll,
} from './protocol';
import { SandboxControl, USER } from './sandboxProcess';

// One benchmark scenario in a fresh process (forked by bench/run.ts): n8n's engine in-process,
// the sandbox elsewhere. The measured node is wrapped so that its execute() is timed, and, for
// the memory runs, so that the parent samples this process's RSS exactly while it runs.

const CATALOG = 'demo.landsat_images';
const MEASURED = 'bench.measured';

let pendingAck: (() => void) | undefined;
process.on('message', (message: ToChild) => {
	if (message.type === 'ack') {
		pendingAck?.();
		pendingAck = undefined;
	} else if (message.type === 'scenario') {
		void main(message.scenario);
	}
});

function send(message: FromChild, then?: () => void): void {
	if (!process.send) throw new Error('bench/child.js runs forked by bench/run.js');
	process.send(message, undefined, {}, () => then?.());
}

async function askParent(message: FromChild): Promise<void> {
	await new Promise<void>((resolve) => {
		pendingAck = resolve;
		send(message);
	});
}

class Probe {
	nodeMs = 0;

	/**
	 * `pause`: stop before and after the node and wait for the parent (memory and speed runs).
	 * `collect`: a full GC before the baseline (memory runs only: a forced GC just before an
	 * upload leaves V8's helper threads busy and was seen to slow the upload by up to 1.5×).
	 */
	constructor(
		private readonly pause: boolean,
		private readonly collect = false,
	) {}

	async before(): Promise<void> {
		if (!this.pause) return;
		// The file is in n8n's binary storage now: flush it to disk so that the kernel's writeback
		// does not compete with the upload, drop garbage, restart the kernel's peak (VmHWM).
		execFileSync('sync');
		if (this.collect) (globalThis as { gc?: () => void }).gc?.();
		try {
			writeFileSync('/proc/self/clear_refs', '5');
		} catch {
			// not Linux, or not allowed: the parent's sampling still works
		}
		await askParent({ type: 'node-start' });
	}

	async after(): Promise<void> {
		if (this.pause) await askParent({ type: 'node-end' });
	}

	/** The node type with its execute() between before() and after(). */
	wrap(inner: INodeType): INodeType {
		const execute = inner.execute;
		if (!execute) throw new Error('the node has no execute()');
		const before = async () => await this.before();
		const after = async (ms: number) => {
			this.nodeMs = ms;
			await this.after();
		};
		return {
			description: inner.description,
			methods: inner.methods,
			async execute(this: IExecuteFunctions) {
				await before();
				const started = performance.now();
				try {
					return await execute.call(this);
				} finally {
					await after(performance.now() - started);
				}
			},
		};
	}
}

async function newEngine(url: string, measured: INodeType, probe: Probe): Promise<TestEngine> {
	const engine = await TestEngine.create();
	engine.setCredentials(CREDENTIALS.everGisApi.id, { host: url, ...USER });
	engine.nodeTypes.register(MEASURED, probe.wrap(measured));
	return engine;
}

/** Manual trigger → files → the measured node. */
function measuredWorkflow(
	parameters: INodeParameters,
	files: string[],
	settings: { json?: IDataObject } = {},
): WorkflowSpec {
	const spec = tilingWorkflow(
		parameters,
		files.map((file) => ({ json: settings.json, files: { data: file } })),
	);
	const node = spec.nodes.find((n) => n.type === NODE.tiling);
	if (!node) throw new Error('no EverGIS node in the workflow');
	node.type = MEASURED;
	return spec;
}

function summary(result: RunResult, probe: Probe, nodeName = 'EverGIS'): RunSummary {
	const items: INodeExecutionData[] = result.output(nodeName);
	const statuses: Record<string, number> = {};
	for (const item of items) {
		const status = typeof item.json.status === 'string' ? item.json.status : 'ok';
		statuses[status] = (statuses[status] ?? 0) + 1;
	}
	return {
		nodeMs: probe.nodeMs,
		runMs: result.durationMs,
		items: items.length,
		statuses,
		error: result.error
			? `${result.error.message}${result.error.description ? ` (${result.error.description})` : ''}`
			: undefined,
	};
}

const fileUpload = (more: INodeParameters = {}): INodeParameters => ({
	resource: 'file',
	operation: 'upload',
	options: more,
});

async function upload(scenario: Extract<Scenario, { kind: 'upload' }>): Promise<ScenarioResult> {
	const probe = new Probe(true, true);
	const buffered = scenario.mode === 'buffered';
	const engine = await newEngine(
		scenario.url,
		buffered ? new BufferedUpload() : new EverGisTiling(),
		probe,
	);
	// Warm-up: logs in (the token is kept in the credentials) and loads the request code paths.
	const warm = await engine.run(
		tilingWorkflow(fileUpload(), [{ files: { data: scenario.warmFile } }]),
	);
	if (warm.error) throw warm.error;

	const parameters: INodeParameters =
		scenario.mode === 'catalog'
			? uploadParameters(CATALOG, {
					options: { keepOriginalNames: true, pollInterval: 0.5 },
					...(scenario.skipAlreadyLoaded
						? { skipAlreadyLoaded: true, matchFilesBy: scenario.skipAlreadyLoaded }
						: {}),
				})
			: { binaryProperty: 'data' };
	const result = await engine.run(measuredWorkflow(parameters, [scenario.file]));
	return { kind: 'upload', run: summary(result, probe) };
}

/**
 * The file is read into binary storage once; then each round is a run of File → Upload on it
 * (a warm login before, so the upload is the node's only request). The parent runs curl while
 * the node waits before or after its upload, so that both are timed side by side.
 */
async function speed(scenario: Extract<Scenario, { kind: 'speed' }>): Promise<ScenarioResult> {
	const probe = new Probe(true);
	const engine = await newEngine(scenario.url, new EverGisTiling(), probe);
	engine.nodeTypes.register(BINARY_REFERENCE_NODE, new BinaryReference());
	const warm = await engine.run(
		tilingWorkflow(fileUpload(), [{ files: { data: scenario.warmFile } }]),
	);
	if (warm.error) throw warm.error;
	const stored = await engine.run({
		nodes: [
			{ name: 'Start', type: NODE.manualTrigger, parameters: {} },
			{
				name: 'Files',
				type: NODE.fileItems,
				parameters: { items: JSON.stringify([{ files: { data: scenario.file } }]) },
			},
		],
		connections: { Start: { main: [[{ node: 'Files', type: 'main', index: 0 }]] } },
	});
	const binary = stored.output('Files')[0]?.binary?.data;
	if (stored.error || !binary?.id) throw stored.error ?? new Error('the file was not stored');
	const spec: WorkflowSpec = {
		nodes: [
			{ name: 'Start', type: NODE.manualTrigger, parameters: {} },
			{
				name: 'Stored File',
				type: BINARY_REFERENCE_NODE,
				parameters: { binary: JSON.stringify(binary) },
			},
			{
				name: 'EverGIS',
				type: MEASURED,
				parameters: fileUpload({ keepOriginalNames: true }),
				credentials: CREDENTIALS,
			},
		],
		connections: {
			Start: { main: [[{ node: 'Stored File', type: 'main', index: 0 }]] },
			'Stored File': { main: [[{ node: 'EverGIS', type: 'main', index: 0 }]] },
		},
	};
	const runs: RunSummary[] = [];
	for (let round = 0; round < scenario.rounds; round++) {
		runs.push(summary(await engine.run(spec), probe));
	}
	return { kind: 'speed', runs };
}

async function batch(scenario: Extract<Scenario, { kind: 'batch' }>): Promise<ScenarioResult> {
	const probe = new Probe(false);
	const engine = await newEngine(scenario.url, new EverGisTiling(), probe);
	const options: INodeParameters = { pollInterval: scenario.pollInterval };
	if (scenario.concurrency !== undefined) options.concurrency = scenario.concurrency;
	const result = await engine.run(
		measuredWorkflow(
			uploadParameters(CATALOG, { waitForCompletion: scenario.wait, options }),
			Array.from({ length: scenario.items }, () => scenario.file),
		),
	);
	return { kind: 'batch', run: summary(result, probe) };
}

/** Submit-and-wait one item at a time: one execution per item, each waiting for its task. */
async function sequential(
	scenario: Extract<Scenario, { kind: 'sequential' }>,
): Promise<ScenarioResult> {
	const probe = new Probe(false);
	const engine = await newEngine(scenario.url, new EverGisTiling(), probe);
	const warm = await engine.run(tilingWorkflow(fileUpload(), [{ files: { data: scenario.file } }]));
	if (warm.error) throw warm.error;
	const runs: RunSummary[] = [];
	for (let i = 0; i < scenario.runs; i++) {
		const result = await engine.run(
			measuredWorkflow(
				uploadParameters(CATALOG, { options: { pollInterval: scenario.pollInterval } }),
				[scenario.file],
			),
		);
		runs.push(summary(result, probe));
	}
	return { kind: 'sequential', runs };
}

/**
 * Creates `tasks` tasks that run until finished by hand (the parent set taskDurationMs null),
 * then polls the trigger over them, finishing some before each poll, and counts the progress
 * requests each poll made.
 */
async function trigger(scenario: Extract<Scenario, { kind: 'trigger' }>): Promise<ScenarioResult> {
	const probe = new Probe(false);
	const engine = await newEngine(scenario.url, new EverGisTiling(), probe);
	const sandbox = new SandboxControl(scenario.url);
	const made = await engine.run(
		measuredWorkflow(
			uploadParameters(CATALOG, { waitForCompletion: false }),
			Array.from({ length: scenario.tasks }, () => scenario.file),
		),
	);
	const created = summary(made, probe);
	if (made.error) return { kind: 'trigger', created, polls: [] };
	const ids = made.output('EverGIS').map((item) => String(item.json.taskId));
	const spec: WorkflowSpec = {
		nodes: [
			{
				name: 'Trigger',
				type: NODE.trigger,
				parameters: { taskIds: ids.join(', '), options: {} },
				credentials: CREDENTIALS,
			},
		],
		connections: {},
	};
	const running = [...ids];
	const seenEnded = new Set<string>();
	let staticData: IDataObject = {};
	const polls: TriggerPoll[] = [];
	for (const toFinish of scenario.finishBeforePoll) {
		for (const id of running.splice(0, toFinish)) await sandbox.finishTask(id);
		const before = await sandbox.counters();
		const notSeenEnded = ids.filter((id) => !seenEnded.has(id)).length;
		const poll = await engine.poll(spec, 'Trigger', { staticData });
		if (poll.error) throw poll.error;
		staticData = poll.staticData;
		const after = await sandbox.counters();
		const fired = poll.items?.[0] ?? [];
		for (const item of fired) seenEnded.add(String(item.json.taskId));
		const total = (stats: typeof before) =>
			Object.values(stats.requests).reduce((sum, n) => sum + n, 0);
		const progressRequests = after.requests.progress - before.requests.progress;
		polls.push({
			finishedBefore: toFinish,
			notSeenEnded,
			progressRequests,
			otherRequests: total(after) - total(before) - progressRequests,
			fired: fired.length,
		});
	}
	return { kind: 'trigger', created, polls };
}

async function run(scenario: Scenario): Promise<ScenarioResult> {
	switch (scenario.kind) {
		case 'upload':
			return await upload(scenario);
		case 'speed':
			return await speed(scenario);
		case 'batch':
			return await batch(scenario);
		case 'sequential':
			return await sequential(scenario);
		case 'trigger':
			return await trigger(scenario);
	}
}

async function main(scenario: Scenario): Promise<void> {
	try {
		const result = await run(scenario);
		send({ type: 'result', result }, () => process.exit(0));
	} catch (error) {
		send({ type: 'failed', message: (error as Error).stack ?? String(error) }, () =>
			process.exit(1),
		);
	}
}
