import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { isFailureStatus, isSuccessStatus } from '../model/statuses';
import { failureReason } from '../model/task';
import type { NodeError } from '../shared/nodeErrors';
import { asNodeError, errorItem, operationError } from '../shared/nodeErrors';
import { mapWithConcurrency } from '../shared/pool';
import { allowItemsAtOnce, requestsOf, stopRequests } from '../transport/execution';
import type { WaitOutcome } from '../transport/waitForTasks';
import { waitForTasks } from '../transport/waitForTasks';
import * as file from './file';
import * as raster from './raster';
import * as task from './task';
import type { ItemResult, Operation, PendingTask } from './types';

const resources: Record<string, Record<string, Operation>> = {
	raster: raster.operations,
	task: task.operations,
	file: file.operations,
};

const DEFAULT_CONCURRENCY = 4;

/**
 * Runs the chosen operation for every input item:
 * 1. each item's own work (read, upload, create a task), a few items at a time (Concurrency);
 * 2. one wait for every task the items started (when they asked to wait), which each task joins
 *    as soon as it is submitted, so that waiting overlaps the uploads of the items after it.
 * Output keeps the input order, and each output item is paired with its input item. A failing
 * item becomes an error item under Continue On Fail; otherwise the node stops at once: no item
 * starts after the failure, requests in flight are stopped, nothing more is waited for, and the
 * error names the tasks this execution had already submitted.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operationName = this.getNodeParameter('operation', 0) as string;
	const operation = resources[resource]?.[operationName];
	if (!operation) {
		throw operationError(
			this.getNode(),
			`The operation '${operationName}' of '${resource}' is not known`,
		);
	}
	const concurrency =
		Number(this.getNodeParameter('options.concurrency', 0, DEFAULT_CONCURRENCY)) ||
		DEFAULT_CONCURRENCY;
	allowItemsAtOnce(this, concurrency);
	const continueOnFail = this.continueOnFail();
	let firstFailure: NodeError | undefined;

	/** An item's failure: its error item, or (without Continue On Fail) the end of the run. */
	const failed = (
		error: unknown,
		itemIndex: number,
		context: IDataObject = {},
	): INodeExecutionData[] => {
		const failure = asNodeError(this, error, itemIndex);
		if (continueOnFail) return [errorItem(failure, itemIndex, context)];
		if (!firstFailure) {
			firstFailure = failure;
			stopRequests(this);
		}
		return [];
	};

	// 1. Each item's own work; the tasks it submits join the wait at once.
	const results: Array<ItemResult | undefined> = new Array(items.length);
	const itemErrors: INodeExecutionData[][] = items.map(() => []);
	const pending: Array<{ task: PendingTask; itemIndex: number }> = [];
	const ended: INodeExecutionData[][] = [];
	const told: Array<Promise<void> | undefined> = [];
	const tell = (index: number, completed: boolean) => {
		told[index] ??= pending[index].task.ended?.(completed) ?? Promise.resolve();
	};
	const waiting = waitForTasks(this, (index, outcome) => {
		const { task, itemIndex } = pending[index];
		ended[index] = outputOf.call(this, task, outcome, itemIndex, failed);
		tell(index, outcome.ok && isSuccessStatus(outcome.progress.status));
		return firstFailure ? 'stop' : undefined;
	});
	await mapWithConcurrency(
		items,
		concurrency,
		async (_item, itemIndex) => {
			try {
				const result = await operation.execute.call(this, itemIndex);
				results[itemIndex] = result;
				// After a failure the wait has stopped: a task added then is not waited for. The wait
				// numbers tasks in the order added and may report one at once (a canceled execution),
				// so its entry is recorded first.
				for (const task of result.pending ?? []) {
					pending.push({ task, itemIndex });
					ended.push([]);
					waiting.add(task.wait);
				}
			} catch (error) {
				itemErrors[itemIndex] = failed(error, itemIndex);
			}
		},
		() => firstFailure !== undefined,
	);

	// 2. Wait for the tasks still running.
	waiting.close();
	await waiting.finished;
	// Tasks the node did not wait for to the end (it stopped, or never began to wait).
	pending.forEach((_entry, index) => tell(index, false));
	await Promise.allSettled(told);
	if (firstFailure) throw withSubmittedTasks(this, firstFailure);

	const output: INodeExecutionData[] = [];
	items.forEach((_item, itemIndex) => {
		const now = results[itemIndex]?.items ?? [];
		output.push(...now.map((item) => ({ ...item, pairedItem: { item: itemIndex } })));
		output.push(...itemErrors[itemIndex]);
		pending.forEach((entry, index) => {
			if (entry.itemIndex === itemIndex) output.push(...ended[index]);
		});
	});
	return [output];
}

/** The output for a task the item waited for: its item, or its failure (a task that ended Failed, …). */
function outputOf(
	this: IExecuteFunctions,
	task: PendingTask,
	outcome: WaitOutcome,
	itemIndex: number,
	failed: (error: unknown, itemIndex: number, context: IDataObject) => INodeExecutionData[],
): INodeExecutionData[] {
	if (!outcome.ok) return failed(outcome.error, itemIndex, task.context);
	const { progress } = outcome;
	if (isFailureStatus(progress.status) && !task.outputFailedTasks) {
		const error = operationError(
			this.getNode(),
			`${task.failure.subject} ended ${progress.status}: ${failureReason(progress)}`,
			{ itemIndex, description: task.failure.hint },
		);
		return failed(error, itemIndex, task.context);
	}
	return [{ ...task.output(progress), pairedItem: { item: itemIndex } }];
}

/** The node's error names the tasks it had submitted: they keep running on EverGIS. */
function withSubmittedTasks(context: IExecuteFunctions, failure: NodeError): NodeError {
	const submitted = requestsOf(context).submittedTaskIds;
	if (submitted.length > 0) {
		failure.description =
			`${failure.description ?? ''} Tasks this execution had submitted, which keep running on EverGIS: ` +
			`${submitted.join(', ')}. Look them up with Task → Get Status, or stop them with Task → Cancel.`;
		failure.description = failure.description.trim();
	}
	return failure;
}
