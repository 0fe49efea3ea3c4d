/**
 * The example workflows of examples/*.json, loaded as n8n would import them, and the few rewrites
 * the suite makes to a copy before importing it: the credential IDs (to the ones imported), a folder
 * path, a URL, the task IDs the trigger watches, a Schedule Trigger swapped for a Manual Trigger.
 * Every other field stays as in the file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { WorkflowJson } from '../real-n8n';
import { repoRoot } from '../real-n8n';

export const EXAMPLES_DIR = join(repoRoot(), 'examples');

export type Node = Record<string, unknown> & {
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
};

export interface Example extends WorkflowJson {
	id: string;
	nodes: Node[];
}

/** The file names in examples/, sorted. */
export function exampleFiles(): string[] {
	return readdirSync(EXAMPLES_DIR)
		.filter((file) => file.endsWith('.json'))
		.sort();
}

/** A fresh copy of examples/<file>. */
export function loadExample(file: string): Example {
	return JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as Example;
}

export function nodeOf(workflow: Example, name: string): Node {
	const node = workflow.nodes.find((candidate) => candidate.name === name);
	if (!node) {
		throw new Error(
			`${workflow.name}: no node "${name}"; nodes: ${workflow.nodes.map((n) => n.name).join(', ')}`,
		);
	}
	return node;
}

export function nodesOfType(workflow: Example, type: string): Node[] {
	return workflow.nodes.filter((node) => node.type === type);
}

/**
 * Points every credential reference at the imported credentials of that type (by id and name).
 * Throws if the workflow uses a credential type not given, so that a new example cannot slip by.
 */
export function useCredentials(
	workflow: Example,
	byType: Record<string, { id: string; name: string }>,
): Example {
	for (const node of workflow.nodes) {
		for (const type of Object.keys(node.credentials ?? {})) {
			const credential = byType[type];
			if (!credential) {
				throw new Error(`${workflow.name}: node "${node.name}" uses credentials of type ${type}`);
			}
			node.credentials![type] = { ...credential };
		}
	}
	return workflow;
}

/**
 * Replaces the Schedule Trigger by a Manual Trigger of the same name (so the connections stay):
 * `n8n execute` starts only at a Manual Trigger (or an Execute Workflow Trigger).
 */
export function withManualTrigger(workflow: Example): Example {
	for (const node of nodesOfType(workflow, 'n8n-nodes-base.scheduleTrigger')) {
		node.type = 'n8n-nodes-base.manualTrigger';
		node.typeVersion = 1;
		node.parameters = {};
	}
	return workflow;
}
