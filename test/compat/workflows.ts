/**
 * The workflows of the compatibility suite, built from node types and versions that exist in every
 * tested release (n8n 1.85.3 to 2.40.7): Manual Trigger v1, Read/Write Files from Disk v1, Webhook v2
 * and this package's two nodes.
 */
import { randomUUID } from 'node:crypto';

import { newN8nId, type WorkflowJson } from '../real-n8n';

export const PACKAGE = 'n8n-nodes-evergis';
export const TILING = `${PACKAGE}.everGisTiling`;
export const TRIGGER = `${PACKAGE}.everGisTilingTrigger`;

export interface CredentialRef {
	id: string;
	name: string;
}

export interface CheckCredentials {
	good: CredentialRef;
	wrongPassword: CredentialRef;
	noPrefix: CredentialRef;
}

/** The nodes of the checks workflow whose output each check reads. */
export const NODES = {
	seed: 'Seed: EverGIS Tiling',
	continueOnFail: 'Continue On Fail: EverGIS Tiling',
	submit: 'Submit without waiting',
	cancel: 'Task → Cancel',
	wrongPassword: 'Bad input: wrong password',
	noPrefix: 'Bad input: Host without /sp',
	unknownCatalog: 'Bad input: unknown catalog',
	missingBinary: 'Bad input: missing binary',
} as const;

type Node = Record<string, unknown>;

function node(
	name: string,
	type: string,
	typeVersion: number,
	position: [number, number],
	parameters: Record<string, unknown>,
	extra: Record<string, unknown> = {},
): Node {
	return { id: randomUUID(), name, type, typeVersion, position, parameters, ...extra };
}

function readFiles(name: string, fileSelector: string, y: number): Node {
	return node(name, 'n8n-nodes-base.readWriteFile', 1, [220, y], {
		operation: 'read',
		fileSelector,
		options: {},
	});
}

function tiling(
	name: string,
	credential: CredentialRef,
	position: [number, number],
	parameters: Record<string, unknown>,
	continueOnFail = false,
): Node {
	return node(
		name,
		TILING,
		1,
		position,
		parameters,
		// onError is what the editor's Settings → On Error → Continue sets (n8n ≥ 0.2xx).
		{
			credentials: { everGisApi: { ...credential } },
			...(continueOnFail ? { onError: 'continueRegularOutput' } : {}),
		},
	);
}

function upload(catalog: string, options: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		resource: 'raster',
		operation: 'uploadToCatalog',
		catalog: { __rl: true, mode: 'name', value: catalog },
		options: { pollInterval: 1, ...options },
	};
}

function link(from: string, ...to: string[]): Record<string, unknown> {
	return { [from]: { main: [to.map((node) => ({ node, type: 'main', index: 0 }))] } };
}

/**
 * One Manual Trigger, branches run one after another (execution order v1, top to bottom):
 * the docs' seed flow (the Landsat sample from disk into demo.landsat_images, waiting); a batch of a
 * good and a damaged raster under Continue On Fail; a task submitted without waiting, then canceled
 * with Task → Cancel; and the four bad inputs, each under Continue On Fail so that its message is an
 * item of the same run.
 */
export function checksWorkflow(
	credentials: CheckCredentials,
	files: { seed: string; batch: string; small: string },
): WorkflowJson {
	const read = {
		seed: 'Read the Landsat sample',
		batch: 'Read a good and a damaged raster',
		small: 'Read a small raster',
		bad: 'Read a raster for the bad inputs',
	};
	const nodes: Node[] = [
		node('Start', 'n8n-nodes-base.manualTrigger', 1, [0, 300], {}),
		readFiles(read.seed, files.seed, 0),
		tiling(NODES.seed, credentials.good, [440, 0], {
			...upload('demo.landsat_images'),
			attributes: {
				attribute: [
					{ name: 'name', value: 'Landsat-7 LE07 crop' },
					{ name: 'dateofimage', value: '2001-03-13T15:20:00Z' },
				],
			},
		}),
		readFiles(read.batch, files.batch, 200),
		tiling(NODES.continueOnFail, credentials.good, [440, 200], upload('demo.landsat_images'), true),
		readFiles(read.small, files.small, 400),
		tiling(NODES.submit, credentials.good, [440, 400], {
			...upload('demo.landsat_images'),
			waitForCompletion: false,
		}),
		tiling(NODES.cancel, credentials.good, [660, 400], {
			resource: 'task',
			operation: 'cancel',
			taskId: '={{ $json.taskId }}',
		}),
		readFiles(read.bad, files.small, 600),
		tiling(
			NODES.wrongPassword,
			credentials.wrongPassword,
			[440, 600],
			upload('demo.landsat_images'),
			true,
		),
		tiling(NODES.noPrefix, credentials.noPrefix, [440, 800], upload('demo.landsat_images'), true),
		tiling(
			NODES.unknownCatalog,
			credentials.good,
			[440, 1000],
			upload('demo.no_such_catalog'),
			true,
		),
		tiling(
			NODES.missingBinary,
			credentials.good,
			[440, 1200],
			{ ...upload('demo.landsat_images'), inputSource: 'binary', binaryProperties: 'image' },
			true,
		),
	];
	return {
		id: newN8nId(),
		name: 'Compat: seed flow, Continue On Fail, Task → Cancel, bad inputs',
		nodes,
		connections: {
			...link('Start', read.seed, read.batch, read.small, read.bad),
			...link(read.seed, NODES.seed),
			...link(read.batch, NODES.continueOnFail),
			...link(read.small, NODES.submit),
			...link(NODES.submit, NODES.cancel),
			...link(
				read.bad,
				NODES.wrongPassword,
				NODES.noPrefix,
				NODES.unknownCatalog,
				NODES.missingBinary,
			),
		},
		settings: { executionOrder: 'v1' },
	};
}

/** The trigger watching `taskIds`, polling every minute (and once at activation). */
export function triggerWorkflow(credential: CredentialRef, taskIds: string[]): WorkflowJson {
	return {
		id: newN8nId(),
		name: 'Compat: EverGIS Tiling Trigger',
		nodes: [
			node(
				'When tiling ends',
				TRIGGER,
				1,
				[0, 0],
				{ pollTimes: { item: [{ mode: 'everyMinute' }] }, taskIds: taskIds.join('\n') },
				{ credentials: { everGisApi: { ...credential } } },
			),
		],
		connections: {},
		settings: { executionOrder: 'v1' },
	};
}

export const CANCEL_WEBHOOK_PATH = 'compat-wait-then-cancel';
export const WAIT_NODE = 'Get the task status';
/**
 * The canceled execution sits in the node's retry back-off (pause()): the sandbox answers this many
 * progress requests 502, so the node waits 0.25-0.5, 0.5-1, 1-2, 2-4 s between them, and 4-8 s
 * after the last one, when it is canceled.
 */
export const FAILED_POLLS = 5;

/**
 * A webhook (answering at once) → Task → Get Status of the task in the request body, which the
 * sandbox answers 502 FAILED_POLLS times: an execution that waits to try again when it is canceled.
 */
export function waitWorkflow(credential: CredentialRef): WorkflowJson {
	return {
		id: newN8nId(),
		name: 'Compat: a task status that must be retried (canceled while waiting)',
		nodes: [
			node(
				'Webhook',
				'n8n-nodes-base.webhook',
				2,
				[0, 0],
				{ httpMethod: 'POST', path: CANCEL_WEBHOOK_PATH, responseMode: 'onReceived', options: {} },
				{ webhookId: randomUUID() },
			),
			tiling(WAIT_NODE, credential, [220, 0], {
				resource: 'task',
				operation: 'getStatus',
				taskId: '={{ $json.body.taskId }}',
			}),
		],
		connections: link('Webhook', WAIT_NODE),
		settings: { executionOrder: 'v1' },
	};
}
