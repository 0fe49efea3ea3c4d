import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	INode,
	INodeExecutionData,
	INodeType,
	INodeTypes,
	IRun,
	IVersionedNodeType,
	IDataDeduplicator,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { EverGisApi } from '../../credentials/EverGisApi.credentials';
import { EverGisTiling } from '../../nodes/EverGis/EverGisTiling.node';
import { EverGisTilingTrigger } from '../../nodes/EverGis/EverGisTilingTrigger.node';
import { TestCredentialsHelper } from './credentialsHelper';
import { MemoryDeduplicator } from './memoryDeduplicator';
import { FileItems, ManualTrigger, PassFiles } from './testNodes';

/**
 * Runs workflows through n8n's real execution engine (n8n-core's WorkflowExecute, the node
 * execution contexts, n8n's request helpers and its binary data service in filesystem mode),
 * in this process. Used by the engine tests, the fault suite, the demo and the benchmarks.
 */

export interface LogLine {
	level: string;
	message: string;
	metadata?: unknown;
}

export interface WorkflowSpec {
	/** The workflow's ID ('wf-test' unless given). */
	id?: string;
	name?: string;
	nodes: Array<
		Omit<INode, 'id' | 'position' | 'typeVersion'> &
			Partial<Pick<INode, 'id' | 'position' | 'typeVersion'>>
	>;
	connections: IWorkflowBase['connections'];
	staticData?: IDataObject;
}

export interface RunResult {
	run: IRun;
	/** Items of a node's output (the first unless said) in its last run. */
	output(nodeName: string, index?: number): INodeExecutionData[];
	/** The workflow error, if the run failed. */
	error?: Error & { description?: string; itemIndex?: number; context?: IDataObject };
	durationMs: number;
	/** The workflow's static data as n8n saves it after the run; undefined when n8n saves nothing. */
	staticData?: IDataObject;
}

const CREDENTIAL_TYPE = 'everGisApi';

type Core = typeof import('n8n-core');
type Di = typeof import('@n8n/di');
type BackendCommon = typeof import('@n8n/backend-common');

let shared: Promise<{ core: Core; di: Di; folder: string }> | undefined;

/**
 * n8n's deduplication store as the engine's nodes reach it (`this.helpers.checkProcessedAndRecord`,
 * …), in memory and following n8n's own logic (memoryDeduplicator.ts). One per process, like n8n's:
 * tests reset it in `beforeEach`.
 */
export const deduplicator = new MemoryDeduplicator();

/**
 * n8n-core reads its folders from the environment once, so one folder serves the whole process.
 * n8n-core's DataDeduplicationService is a static singleton: the first engine of the process sets
 * its store (`store`, else the in-memory one).
 */
async function loadCore(store?: IDataDeduplicator) {
	shared ??= (async () => {
		// Another process's engine (anotherProcess) shares the folder, as n8n's processes share binary
		// data on shared storage in queue mode.
		const folder =
			process.env.EVERGIS_ENGINE_FOLDER ?? mkdtempSync(join(tmpdir(), 'evergis-engine-'));
		process.env.EVERGIS_ENGINE_FOLDER = folder;
		process.env.N8N_USER_FOLDER = folder;
		process.env.N8N_DEFAULT_BINARY_DATA_MODE ??= 'filesystem';
		process.env.N8N_BINARY_DATA_STORAGE_PATH = join(folder, 'binary');
		process.env.N8N_ENCRYPTION_KEY ??= 'evergis-tests-encryption-key';
		process.env.N8N_DIAGNOSTICS_ENABLED = 'false';
		const di: Di = await import('@n8n/di');
		const core: Core = await import('n8n-core');
		const backend: BackendCommon = await import('@n8n/backend-common');
		di.Container.set(
			backend.Logger,
			captureLogger as unknown as InstanceType<BackendCommon['Logger']>,
		);
		const binary = di.Container.get(core.BinaryDataService);
		await binary.init();
		await core.DataDeduplicationService.init(store ?? deduplicator);
		process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
		return { core, di, folder };
	})();
	return await shared;
}

/** Every log line any node or n8n-core wrote, for the secret scan. */
export const capturedLogs: LogLine[] = [];

const captureLogger = {
	error: (message: string, metadata?: unknown) =>
		capturedLogs.push({ level: 'error', message, metadata }),
	warn: (message: string, metadata?: unknown) =>
		capturedLogs.push({ level: 'warn', message, metadata }),
	info: (message: string, metadata?: unknown) =>
		capturedLogs.push({ level: 'info', message, metadata }),
	debug: (message: string, metadata?: unknown) =>
		capturedLogs.push({ level: 'debug', message, metadata }),
	scoped() {
		return captureLogger;
	},
};

class NodeTypes implements INodeTypes {
	private readonly types = new Map<string, INodeType>();

	register(name: string, type: INodeType) {
		this.types.set(name, type);
	}

	getByName(name: string): INodeType | IVersionedNodeType {
		return this.getByNameAndVersion(name);
	}

	getByNameAndVersion(name: string): INodeType {
		const type = this.types.get(name);
		if (!type) throw new Error(`Unknown node type ${name}`);
		return type;
	}

	getKnownTypes(): IDataObject {
		return {};
	}
}

export const NODE = {
	tiling: 'n8n-nodes-evergis.everGisTiling',
	trigger: 'n8n-nodes-evergis.everGisTilingTrigger',
	manualTrigger: 'test.manualTrigger',
	fileItems: 'test.fileItems',
	passFiles: 'test.passFiles',
};

/** What n8n's hooks and contexts are given of a workflow (as n8n builds it from the database row). */
function workflowDataOf(workflow: Workflow, active: boolean): IWorkflowBase {
	return {
		id: workflow.id,
		name: workflow.name,
		nodes: Object.values(workflow.nodes),
		connections: workflow.connectionsBySourceNode,
		active,
		settings: {},
	} as unknown as IWorkflowBase;
}

/**
 * Production runs of one workflow, as its Schedule Trigger starts them: each run starts with the
 * static data n8n saved after the run before (see TestEngine.run: only after a production run that
 * changed it).
 */
export class ProductionRuns {
	staticData: IDataObject = {};

	constructor(private readonly engine: TestEngine) {}

	async run(spec: WorkflowSpec): Promise<RunResult> {
		const result = await this.engine.run(spec, { mode: 'trigger', staticData: this.staticData });
		if (result.staticData) this.staticData = result.staticData;
		return result;
	}
}

/** Another n8n process on the same database: its engine, and the package as that process loaded it. */
export interface OtherProcess {
	engine: TestEngine;
	loadMemory: typeof import('../../nodes/EverGis/actions/raster/loadMemory');
}

/**
 * Another n8n process on the same database, as in queue mode (a main and workers) or multi-main.
 * The test loads this module anew in a module registry of its own, and asks that copy:
 *
 *   await jest.isolateModulesAsync(async () => {
 *     other = await (await import('../helpers/engine')).asAnotherProcess(deduplicator.process('worker-2'));
 *   });
 *
 * so that n8n-core, n8n-workflow and this package are loaded anew: nothing the package keeps per
 * process (its queue of store calls) is shared, while n8n's store is, `store` being the same rows
 * with the process's own calls and failures (each n8n process reaches the one database through
 * the DataDeduplicationService of its own n8n-core: n8n-core 2.40.3 `data-deduplication-service.js`
 * `init`, the cli's `deduplication-helper.js`). (This module cannot do the isolation itself: n8n-core
 * loaded a second time from here crashed V8, jest 30 on Node 20.)
 */
export async function asAnotherProcess(store: IDataDeduplicator): Promise<OtherProcess> {
	return {
		engine: await TestEngine.create({ deduplicator: store }),
		loadMemory: await import('../../nodes/EverGis/actions/raster/loadMemory'),
	};
}

/** Waits until `condition` holds, looking every 20 ms; fails after `ms`. */
export async function waitUntil(condition: () => boolean, ms = 10_000): Promise<void> {
	const deadline = Date.now() + ms;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`waited ${ms} ms in vain`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

export class TestEngine {
	readonly nodeTypes = new NodeTypes();
	readonly credentials: TestCredentialsHelper;
	private executions = 0;

	private constructor(private readonly core: Core) {
		const types = new Map<string, ICredentialType>([[CREDENTIAL_TYPE, new EverGisApi()]]);
		this.credentials = new TestCredentialsHelper(types);
		this.nodeTypes.register(NODE.tiling, new EverGisTiling());
		this.nodeTypes.register(NODE.trigger, new EverGisTilingTrigger());
		this.nodeTypes.register(NODE.manualTrigger, new ManualTrigger());
		this.nodeTypes.register(NODE.fileItems, new FileItems());
		this.nodeTypes.register(NODE.passFiles, new PassFiles());
	}

	/** `deduplicator`: n8n's deduplication store to use instead of the in-memory one (first call only). */
	static async create(options: { deduplicator?: IDataDeduplicator } = {}): Promise<TestEngine> {
		const { core } = await loadCore(options.deduplicator);
		return new TestEngine(core);
	}

	/** Stores "EverGIS API" credentials under an id; nodes refer to it as { everGisApi: { id, name } }. */
	setCredentials(id: string, data: ICredentialDataDecryptedObject) {
		this.credentials.set(id, CREDENTIAL_TYPE, `EverGIS ${id}`, data);
	}

	workflow(spec: WorkflowSpec, staticData?: IDataObject): Workflow {
		const nodes: INode[] = spec.nodes.map((node, index) => ({
			id: node.id ?? `node-${index}`,
			position: node.position ?? [index * 200, 0],
			typeVersion: node.typeVersion ?? 1,
			...node,
		}));
		return new Workflow({
			id: spec.id ?? 'wf-test',
			name: spec.name ?? 'test workflow',
			nodes,
			connections: spec.connections,
			active: false,
			nodeTypes: this.nodeTypes,
			staticData: staticData ?? spec.staticData,
			settings: { executionOrder: 'v1' },
		});
	}

	additionalData(
		executionId: string,
		workflowData: IWorkflowBase,
		mode: WorkflowExecuteMode,
	): IWorkflowExecuteAdditionalData {
		const hooks = new this.core.ExecutionLifecycleHooks(mode, executionId, workflowData);
		const base = 'http://127.0.0.1:5678';
		return {
			credentialsHelper: this.credentials,
			hooks,
			executionId,
			currentNodeExecutionIndex: 0,
			restApiUrl: `${base}/rest`,
			instanceBaseUrl: base,
			formBaseUrl: `${base}/form`,
			formWaitingBaseUrl: `${base}/form-waiting`,
			formTestBaseUrl: `${base}/form-test`,
			webhookBaseUrl: `${base}/webhook`,
			webhookWaitingBaseUrl: `${base}/webhook-waiting`,
			webhookTestBaseUrl: `${base}/webhook-test`,
			mcpBaseUrl: `${base}/mcp`,
			mcpTestBaseUrl: `${base}/mcp-test`,
			variables: {},
			logAiEvent: () => {},
			executeWorkflow: async () => {
				throw new Error('not supported in tests');
			},
			getRunExecutionData: async () => undefined,
			getRuntimeCredential: async () => undefined,
			startRunnerTask: async () => {
				throw new Error('not supported in tests');
			},
		} as unknown as IWorkflowExecuteAdditionalData;
	}

	/**
	 * Runs a workflow from its first node to the end: a manual execution, or with `mode: 'trigger'`
	 * one started by a trigger, as a Schedule Trigger starts production runs. `staticData` is the
	 * workflow's static data as n8n loads it for the run; the result's `staticData` is what n8n then
	 * saves: only after a run that is not manual and changed it, and not after a canceled one (n8n
	 * 2.40.7 `execution-lifecycle-hooks.js:411-431` `hookFunctionsSave`: `!isManualMode && …
	 * newStaticData`; `workflow-execute.js:1555-1558` passes it only when `__dataChanged`, and its
	 * cancel handler `:819-829` passes none; the same in 1.85.3 and 1.123.81).
	 */
	async run(
		spec: WorkflowSpec,
		options: { signal?: AbortSignal; mode?: 'manual' | 'trigger'; staticData?: IDataObject } = {},
	): Promise<RunResult> {
		const mode = options.mode ?? 'manual';
		const workflow = this.workflow(
			spec,
			options.staticData
				? (JSON.parse(JSON.stringify(options.staticData)) as IDataObject)
				: undefined,
		);
		const executionId = `exec-${++this.executions}`;
		const workflowData = workflowDataOf(workflow, false);
		const additionalData = this.additionalData(executionId, workflowData, mode);
		const execute = new this.core.WorkflowExecute(additionalData, mode);
		const started = performance.now();
		const startNode = workflow.getNode(spec.nodes[0].name) ?? undefined;
		const promise = execute.run({ workflow, startNode });
		options.signal?.addEventListener('abort', () => promise.cancel(), { once: true });
		const run = await promise;
		const durationMs = performance.now() - started;
		const error = run.data.resultData.error as RunResult['error'];
		const changed = (workflow.staticData as { __dataChanged?: boolean }).__dataChanged === true;
		const saved = mode !== 'manual' && changed && run.status !== 'canceled';
		return {
			run,
			durationMs,
			error,
			staticData: saved
				? (JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject)
				: undefined,
			output(nodeName: string, index = 0) {
				const runs = run.data.resultData.runData[nodeName];
				if (!runs?.length) return [];
				return runs[runs.length - 1].data?.main?.[index] ?? [];
			},
		};
	}

	/**
	 * Calls a listSearch or loadOptions method of a node as the editor does, through n8n-core's
	 * LoadOptionsContext (so `getCurrentNodeParameter` and the credentials work as in n8n).
	 */
	async loadOptions<T>(
		spec: WorkflowSpec,
		nodeName: string,
		method: (this: import('n8n-workflow').ILoadOptionsFunctions, ...args: never[]) => Promise<T>,
		...args: unknown[]
	): Promise<T> {
		const workflow = this.workflow(spec);
		const node = workflow.getNode(nodeName);
		if (!node) throw new Error(`No node ${nodeName}`);
		const workflowData = workflowDataOf(workflow, false);
		const additionalData = this.additionalData(
			`options-${++this.executions}`,
			workflowData,
			'manual',
		);
		additionalData.currentNodeParameters = node.parameters;
		const context = new this.core.LoadOptionsContext(workflow, node, additionalData, 'parameters');
		return await (method as (...a: unknown[]) => Promise<T>).call(context, ...args);
	}

	/**
	 * "Test" in the credentials dialog, the way n8n's CredentialsTester runs it: a temporary NoOp
	 * node whose one parameter routes the credential type's test request, run by n8n-core's
	 * RoutingNode (so preAuthentication always logs in, as for a test, and authenticate signs the
	 * request); its error is turned into n8n's verdict message the same way.
	 */
	async testCredentials(
		data: ICredentialDataDecryptedObject,
	): Promise<{ status: 'OK' | 'Error'; message: string }> {
		const type = new EverGisApi();
		const credentialId = `test-${++this.executions}`;
		this.credentials.set(credentialId, CREDENTIAL_TYPE, 'test', data);
		const noOp: INodeType = {
			description: {
				...new ManualTrigger().description,
				name: 'n8n-nodes-base.noOp',
				credentials: [{ name: CREDENTIAL_TYPE, required: true }],
				properties: [
					{
						displayName: 'Temp',
						name: 'temp',
						type: 'string',
						routing: { request: type.test.request },
						default: '',
					},
				],
			},
		};
		this.nodeTypes.register('n8n-nodes-base.noOp', noOp);
		const node: INode = {
			id: 'temp',
			name: 'Temp-Node',
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [0, 0],
			parameters: { temp: '' },
			credentials: { [CREDENTIAL_TYPE]: { id: credentialId, name: 'test' } },
		};
		const workflow = new Workflow({
			nodes: [node],
			connections: {},
			active: false,
			nodeTypes: this.nodeTypes,
		});
		const workflowData = {
			id: 'temp',
			name: 'temp',
			nodes: [node],
			connections: {},
			active: false,
			settings: {},
		} as unknown as IWorkflowBase;
		const additionalData = this.additionalData(credentialId, workflowData, 'internal');
		additionalData.currentNodeParameters = node.parameters;
		const { createEmptyRunExecutionData } = await import('n8n-workflow');
		const context = new this.core.ExecuteContext(
			workflow,
			node,
			additionalData,
			'internal',
			createEmptyRunExecutionData(),
			0,
			[],
			{ main: [[{ json: {} }]] },
			{ node, data: {}, source: null },
			[],
		);
		const decrypted = await this.credentials.getDecrypted(
			additionalData,
			{ id: credentialId, name: 'test' },
			CREDENTIAL_TYPE,
		);
		try {
			await new this.core.RoutingNode(context, noOp, {
				id: credentialId,
				name: 'test',
				type: CREDENTIAL_TYPE,
				data: decrypted,
			}).runNode();
			return { status: 'OK', message: 'Connection tested successfully' };
		} catch (error) {
			const cause = (
				error as { cause?: { response?: { status: number; statusText?: string }; code?: string } }
			).cause;
			if (cause?.response) {
				// The test's `responseCode` rules, as n8n 2.40.7 applies them (packages/cli
				// dist/services/credentials-tester.service.js, runRequestTest): the first rule whose
				// value is the status of the error's cause gives the message. n8n 1.x drops that cause
				// (n8n-workflow 1.x ExecutionBaseError re-declares `cause`), so no rule applies there.
				for (const rule of type.test.rules ?? []) {
					if (rule.type === 'responseCode' && rule.properties.value === cause.response.status) {
						return { status: 'Error', message: rule.properties.message };
					}
				}
				return {
					status: 'Error',
					message:
						cause.response.statusText || `Received HTTP status code: ${cause.response.status}`,
				};
			}
			if (cause?.code) return { status: 'Error', message: cause.code };
			return { status: 'Error', message: (error as Error).message };
		}
	}

	/**
	 * One poll as n8n 2.40's durable scheduler runs it (N8N_SCHEDULER_ENABLED,
	 * N8N_SCHEDULER_POLL_TRIGGERS_ENABLED; n8n 2.40.7, package `n8n`), or as "Fetch Test Event" runs
	 * one (`mode: 'manual'`). Under the scheduler (read in `poll-trigger-task-handler.js` `execute`
	 * and `trigger-execution-context.factory.js`):
	 * - each poll is a leased task with a context of its own, over the workflow and its static data
	 *   loaded anew (`createPollExecutionContext`, factory :272-291); polls of one trigger may overlap
	 *   (two calls of this at once);
	 * - the node's budget, `getPollBudgetMs()`, is the poll timeout (N8N_SCHEDULER_POLL_TIMEOUT, 45 s;
	 *   or the lease, if shorter) less a fifth of it, at least 5 s and at most half (factory :196-198):
	 *   36 s by default, `pollTimeoutMs / 2` below 10 s;
	 * - n8n waits for the poll until the poll timeout only (handler :88-119): then it drops the poll's
	 *   result, commits nothing, and the poll goes on unawaited (`abandoned` here);
	 * - what n8n then holds as the node's static data (the result's `staticData`): after a poll that
	 *   emitted, the static data as the poll left it, committed with the execution (handler :122-140,
	 *   factory `__emit` :216-244); after one that returned null, with durable cursors
	 *   (N8N_POLLER_DURABLE_CURSORS_ENABLED, `durableCursors`, the default here and the compat suite's
	 *   setting) the cursor alone (handler :141-150 → factory `__commitCursor` :248-261), without them
	 *   nothing (`takeStagedCursor` :207-215 has no cursor to take); after one that threw or was
	 *   abandoned, nothing (handler :159-180, :94-114).
	 * "Fetch Test Event" is not timed out and saves nothing: `staticData` is what the poll left. For
	 * polls of an activation of n8n's in-memory engine (its default), see `activate()`.
	 */
	async poll(
		spec: WorkflowSpec,
		nodeName: string,
		options: {
			staticData?: IDataObject;
			mode?: 'trigger' | 'manual';
			/** N8N_SCHEDULER_POLL_TIMEOUT, in ms (45 s unless given). */
			pollTimeoutMs?: number;
			durableCursors?: boolean;
		} = {},
	): Promise<{
		items: INodeExecutionData[][] | null;
		staticData: IDataObject;
		error?: unknown;
		/** n8n stopped waiting for the poll at its timeout (the poll may still be running). */
		abandoned: boolean;
	}> {
		const given = JSON.parse(JSON.stringify(options.staticData ?? {})) as IDataObject;
		const workflow = this.workflow(spec, JSON.parse(JSON.stringify(given)) as IDataObject);
		const manual = options.mode === 'manual';
		const pollTimeoutMs = options.pollTimeoutMs ?? 45_000;
		const ceilingMs = Math.min(pollTimeoutMs, 60_000);
		const budgetMs = ceilingMs - Math.min(Math.max(0.2 * ceilingMs, 5_000), ceilingMs / 2);
		const context = this.pollContext(
			workflow,
			nodeName,
			manual ? 'manual' : 'trigger',
			manual ? 'manual' : 'update',
			manual ? undefined : budgetMs,
		);
		const polling = new this.core.TriggersAndPollers()
			.runPollFunction(workflow, context.node, context.functions)
			.then(
				(items) => ({ items, error: undefined as unknown }),
				(error: unknown) => ({ items: null, error }),
			);
		let timer: NodeJS.Timeout | undefined;
		const outcome = manual
			? await polling
			: await Promise.race([
					polling,
					new Promise<'abandoned'>((resolve) => {
						timer = setTimeout(() => resolve('abandoned'), pollTimeoutMs);
					}),
				]).finally(() => clearTimeout(timer));
		const after = JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject;
		if (outcome === 'abandoned') return { items: null, staticData: given, abandoned: true };
		const { items, error } = outcome;
		const committed =
			manual || (error === undefined && (items !== null || options.durableCursors !== false));
		return { items, error, staticData: committed ? after : given, abandoned: false };
	}

	/**
	 * Activates a trigger as n8n's in-memory engine (the default) activates a poll trigger, and
	 * returns the activation, whose `poll()` runs the polls n8n's cron would run:
	 * - one PollContext for the whole activation, reused by every poll, over one Workflow object
	 *   whose static data lives between polls (n8n 2.40.7: n8n-core 2.40.3
	 *   `active-workflow-triggers.js:166` builds it once, `:174` and `:197-205` reuse it; the Workflow
	 *   is made once per activation, `workflow-trigger-activator.js:193`; n8n 1.123.81 and 1.85.3:
	 *   `active-workflows.js:69` and `:72-108`);
	 * - a first poll at activation: if it throws, the activation fails (`active-workflow-triggers.js:196-206`,
	 *   `poll-trigger-executor.js:82-86`; 1.x `active-workflows.js:87-97`); n8n 2.40 retries it 5 times
	 *   within 15 s and then leaves the trigger off until the workflow is published again
	 *   (`workflow-trigger-activator.js:482`, `trigger-activation-retry.js:9-23`);
	 * - a later poll that throws becomes an error execution, and the trigger polls on
	 *   (`poll-trigger-executor.js:82-94` → `trigger-execution-context.factory.js:118-133,245-247`;
	 *   1.123.81 `active-workflow-manager.js:242-248`);
	 * - n8n saves the static data to its database when a poll emits items
	 *   (`trigger-execution-context.factory.js:222`; 1.123.81 `active-workflow-manager.js:228`).
	 * Throws TriggerActivationError when the first poll throws.
	 */
	async activate(
		spec: WorkflowSpec,
		nodeName: string,
		options: { staticData?: IDataObject; activation?: 'activate' | 'init' | 'update' } = {},
	): Promise<TriggerActivation> {
		const staticData = JSON.parse(JSON.stringify(options.staticData ?? {})) as IDataObject;
		const workflow = this.workflow(spec, staticData);
		const context = this.pollContext(
			workflow,
			nodeName,
			'trigger',
			options.activation ?? 'activate',
		);
		const activation = new TriggerActivation(this.core, workflow, context.node, context.functions);
		const first = await activation.poll();
		if (first.error) throw new TriggerActivationError(first.error);
		activation.firstItems = first.items;
		return activation;
	}

	private pollContext(
		workflow: Workflow,
		nodeName: string,
		mode: 'trigger' | 'manual',
		activation: 'activate' | 'init' | 'update' | 'manual',
		budgetMs?: number,
	) {
		const node = workflow.getNode(nodeName);
		if (!node) throw new Error(`No node ${nodeName}`);
		const workflowData = workflowDataOf(workflow, true);
		const additionalData = this.additionalData(`poll-${++this.executions}`, workflowData, mode);
		const functions = new this.core.PollContext(
			workflow,
			node,
			additionalData,
			mode,
			activation,
			undefined,
			undefined,
			undefined,
			undefined,
			undefined,
			budgetMs === undefined ? undefined : () => budgetMs,
		);
		return { node, functions };
	}
}

/** The activation poll threw: n8n fails the activation with it (see TestEngine.activate). */
export class TriggerActivationError extends Error {
	constructor(readonly pollError: unknown) {
		super(`There was a problem activating the workflow: "${(pollError as Error)?.message}"`);
	}
}

/** One activation of a poll trigger in n8n's in-memory engine (see TestEngine.activate). */
export class TriggerActivation {
	/** Errors of later polls: n8n records each as an error execution, and polls on. */
	readonly errorExecutions: unknown[] = [];
	private polls = 0;
	/** What the activation poll emitted. */
	firstItems: INodeExecutionData[][] | null = null;

	constructor(
		private readonly core: Core,
		private readonly workflow: Workflow,
		private readonly node: INode,
		private readonly functions: import('n8n-workflow').IPollFunctions,
	) {}

	/** The static data as the activation holds it in memory. */
	get staticData(): IDataObject {
		return JSON.parse(JSON.stringify(this.workflow.staticData)) as IDataObject;
	}

	/** One poll on the activation's context: its items (null if none), or its error. */
	async poll(): Promise<{ items: INodeExecutionData[][] | null; error?: unknown }> {
		try {
			this.polls++;
			const items = await new this.core.TriggersAndPollers().runPollFunction(
				this.workflow,
				this.node,
				this.functions,
			);
			return { items };
		} catch (error) {
			if (this.polls > 1) this.errorExecutions.push(error);
			return { items: null, error };
		}
	}
}
