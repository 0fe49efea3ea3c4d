import { readFileSync } from 'node:fs';

import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import type { Sandbox, TaskStatus } from '../../sandbox';
import type { TriggerActivation, TriggerActivationError } from '../helpers/engine';
import { NODE, TestEngine } from '../helpers/engine';
import type { WorkflowSpec } from '../helpers/engine';
import { CREDENTIALS, fixture } from '../helpers/workflows';

// Helpers of the trigger suites: a trigger-only workflow, a fast way to make many tasks (raw HTTP
// against the sandbox, as a client of the API, not through the node) and a poller that keeps the
// static data between polls the way n8n saves it.

export const TRIGGER = 'Trigger';

/**
 * The end statuses a task reaches at once. Unknown, the seventh of Fire On, is an end only after its
 * grace (model/statuses.ts UNKNOWN_GRACE): its own tests drive the clock (trigger.test.ts).
 */
export const ALL_TRIGGER_STATUSES = [
	'Completed',
	'Failed',
	'Canceled',
	'Timeout',
	'Error',
	'Interrupted',
] as const;

export type TriggerStatus = (typeof ALL_TRIGGER_STATUSES)[number];

export interface TriggerSpecOptions {
	/** Leave out to get the node's default (every status). */
	statuses?: readonly string[];
	includeTaskInfo?: boolean;
	credentials?: WorkflowSpec['nodes'][number]['credentials'];
}

/** A workflow with only the trigger, watching `taskIds` (a string as typed, or an array joined by ', '). */
export function triggerWorkflow(
	taskIds: string | readonly string[],
	options: TriggerSpecOptions = {},
): WorkflowSpec {
	const parameters: INodeParameters = {
		taskIds: typeof taskIds === 'string' ? taskIds : taskIds.join(', '),
		options: options.includeTaskInfo ? { includeTaskInfo: true } : {},
	};
	if (options.statuses !== undefined) parameters.statuses = [...options.statuses];
	return {
		nodes: [
			{
				name: TRIGGER,
				type: NODE.trigger,
				parameters,
				credentials: options.credentials ?? CREDENTIALS,
			},
		],
		connections: {},
	};
}

/** The JSON of the items one poll emitted (none when the poll returned null). */
export function jsonOf(items: INodeExecutionData[][] | null): IDataObject[] {
	if (items === null) return [];
	expect(items).toHaveLength(1);
	return items[0].map((item) => item.json);
}

export function idsOf(items: IDataObject[]): string[] {
	return items.map((item) => String(item.taskId)).sort();
}

/** What the trigger saved: its static data's `ended` map (ID → status), {} when none. */
export function savedState(staticData: IDataObject): IDataObject {
	const node = staticData[`node:${TRIGGER}`] as IDataObject | undefined;
	return (node?.ended ?? {}) as IDataObject;
}

/** The IDs remembered in the trigger's static data. */
export function rememberedIds(staticData: IDataObject): string[] {
	return Object.keys(savedState(staticData)).sort();
}

export async function newEngine(sandbox: Sandbox, password = 'demo-password'): Promise<TestEngine> {
	const engine = await TestEngine.create();
	engine.setCredentials(CREDENTIALS.everGisApi.id, {
		host: sandbox.url,
		username: 'demo',
		password,
	});
	return engine;
}

/**
 * Polls a trigger as n8n's in-memory engine does while the workflow is active (TestEngine.activate):
 * one activation, whose context serves every poll; its first poll is the activation poll. Polling
 * with another spec (the node's parameters were changed and the workflow published again)
 * activates anew over the static data the activation held, as n8n does. `staticData` is what the
 * activation holds in memory; `savedOnEmit` what n8n's database holds (saved when a poll emits).
 * `restart()` drops the engine (and with it the stored token) and the activation: the next poll
 * activates anew, with the live static data round-tripped through JSON (the harness's "restart"),
 * or with `restart('database')` with what n8n had saved, as a real restart does.
 */
export class Poller {
	staticData: IDataObject = {};
	savedOnEmit: IDataObject = {};
	private activation?: TriggerActivation;
	private activeSpec = '';

	constructor(
		public engine: TestEngine,
		private readonly sandbox: Sandbox,
	) {}

	static async start(sandbox: Sandbox): Promise<Poller> {
		return new Poller(await newEngine(sandbox), sandbox);
	}

	/** One poll in trigger mode (the activation poll first); fails the test if the poll threw. */
	async poll(spec: WorkflowSpec): Promise<IDataObject[]> {
		const { items, error } = await this.next(spec);
		if (error) throw error;
		return jsonOf(items);
	}

	/** A poll that is expected to fail: the saved state stays as it was. */
	async failingPoll(spec: WorkflowSpec): Promise<Error & { description?: string }> {
		const before = savedState(this.staticData);
		const { items, error } = await this.next(spec);
		expect(error).toBeDefined();
		expect(items).toBeNull();
		// The failed poll left the state as it was (n8n would not save it anyway).
		expect(savedState(this.staticData)).toEqual(before);
		return error as Error & { description?: string };
	}

	async manual(spec: WorkflowSpec): Promise<IDataObject[]> {
		const result = await this.engine.poll(spec, TRIGGER, {
			staticData: this.staticData,
			mode: 'manual',
		});
		if (result.error) throw result.error;
		// Manual mode must not move the saved state (n8n itself may add an empty `node:Trigger`).
		expect(savedState(result.staticData)).toEqual(savedState(this.staticData));
		return jsonOf(result.items);
	}

	/** n8n restarts (or the workflow is deactivated and activated): only the static data survives. */
	async restart(from: 'live' | 'database' = 'live'): Promise<void> {
		const kept = from === 'live' ? this.staticData : this.savedOnEmit;
		this.staticData = JSON.parse(JSON.stringify(kept)) as IDataObject;
		this.savedOnEmit = JSON.parse(JSON.stringify(kept)) as IDataObject;
		this.activation = undefined;
		this.engine = await newEngine(this.sandbox);
	}

	/** The next poll: on the activation, or the activation poll of a new one. */
	private async next(
		spec: WorkflowSpec,
	): Promise<{ items: INodeExecutionData[][] | null; error?: unknown }> {
		const specText = JSON.stringify(spec);
		let outcome: { items: INodeExecutionData[][] | null; error?: unknown };
		if (this.activation && specText === this.activeSpec) {
			outcome = await this.activation.poll();
		} else {
			this.activation = undefined;
			try {
				this.activation = await this.engine.activate(spec, TRIGGER, {
					staticData: this.staticData,
				});
				this.activeSpec = specText;
				// The activation poll's items (if any) were emitted, and n8n saved the static data.
				outcome = { items: this.activation.firstItems };
			} catch (error) {
				outcome = { items: null, error: (error as TriggerActivationError).pollError ?? error };
			}
		}
		if (this.activation) this.staticData = this.activation.staticData;
		// n8n writes the static data to its database only when a poll emits items: an activation
		// over the live static data does not (what the database holds stays as it was).
		if (outcome.items !== null) this.savedOnEmit = this.staticData;
		return outcome;
	}
}

/** Makes tasks through the API, as another client would (fast: one upload for many tasks). */
export class TaskFactory {
	private token: string | undefined;
	private readonly uploaded = new Set<string>();

	constructor(
		private readonly sandbox: Sandbox,
		private readonly username = 'demo',
	) {}

	private async login(): Promise<string> {
		const res = await fetch(`${this.sandbox.url}/account/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ username: this.username, password: `${this.username}-password` }),
		});
		if (res.status !== 200) throw new Error(`login: HTTP ${res.status} ${await res.text()}`);
		this.token = ((await res.json()) as { token: string }).token;
		return this.token;
	}

	private async send(path: string, init: RequestInit): Promise<Response> {
		for (let attempt = 0; ; attempt++) {
			const token = this.token ?? (await this.login());
			const res = await fetch(`${this.sandbox.url}${path}`, {
				...init,
				headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
			});
			if (res.status === 401 && attempt === 0) {
				this.token = undefined;
				continue;
			}
			if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
			return res;
		}
	}

	private async upload(raster: string): Promise<string> {
		const name = `trigger-${this.username}-${raster}`;
		if (this.uploaded.has(name)) return name;
		const form = new FormData();
		form.append('file', new Blob([readFileSync(fixture(raster))]), name);
		form.append('rewrite', 'true');
		await this.send('/upload/file', { method: 'POST', body: form });
		this.uploaded.add(name);
		return name;
	}

	/** Creates `count` tiling tasks of `raster` (rgb-byte-tenth.tif unless told) and returns their IDs. */
	async create(count = 1, raster = 'rgb-byte-tenth.tif'): Promise<string[]> {
		const file = await this.upload(raster);
		const body = JSON.stringify({
			files: [file],
			attributes: { name: 'trigger test', dateofimage: '2023-12-08T12:00:00+00:00' },
			polygonize: false,
			target: {
				type: 'tileFeatureLayerTaskDataStorage',
				serviceName: `${this.username}.landsat_images`,
				createNewService: false,
			},
			useCog: true,
		});
		const ids: string[] = [];
		for (let i = 0; i < count; i++) {
			const res = await this.send('/scheduler/tasks?type=tiling', {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body,
			});
			ids.push(((await res.json()) as { taskId: string }).taskId);
		}
		return ids;
	}

	/** POST /scheduler/tasks/{id}/cancel: the one way to get Canceled. */
	async cancel(id: string): Promise<void> {
		await this.send(`/scheduler/tasks/${id}/cancel`, { method: 'POST' });
	}
}

/** Ends a running task with any trigger status (Canceled goes through the cancel request). */
export async function endTask(
	sandbox: Sandbox,
	factory: TaskFactory,
	id: string,
	status: TriggerStatus,
	message?: string,
): Promise<void> {
	if (status === 'Canceled') await factory.cancel(id);
	else sandbox.finishTask(id, status, message);
}

export function statusOf(sandbox: Sandbox, id: string): TaskStatus | undefined {
	return sandbox.tasks().find((task) => task.id === id)?.status;
}

/** Progress requests the sandbox received while `work` ran. */
export async function countProgress<T>(
	sandbox: Sandbox,
	work: () => Promise<T>,
): Promise<{ result: T; progress: number; taskInfo: number; logins: number }> {
	const before = sandbox.stats();
	const result = await work();
	const after = sandbox.stats();
	return {
		result,
		progress: after.requests.progress - before.requests.progress,
		taskInfo: after.requests.taskInfo - before.requests.taskInfo,
		logins: after.logins - before.logins,
	};
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
