import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { isFailureStatus } from '../model/statuses';
import { failureReason } from '../model/task';
import type { NodeError } from '../shared/nodeErrors';
import { asNodeError, errorItem, operationError } from '../shared/nodeErrors';
import { mapWithConcurrency } from '../shared/pool';
import { EverGisRun } from '../transport/run';
import type { WaitOutcome } from '../transport/waitForTask';
import { waitForTask } from '../transport/waitForTask';
import { concurrencyOf } from './common/descriptions';
import * as file from './file';
import * as raster from './raster';
import * as task from './task';
import type { Operation, PendingTask } from './types';

const resources: Record<string, Record<string, Operation>> = {
	raster: raster.operations,
	task: task.operations,
	file: file.operations,
};

/**
 * Runs the chosen operation for every input item, as Databricks' node does, with two more things:
 * the items' own work (read, upload, create a task) goes a few items at a time (Concurrency), and
 * each task an item hands over is waited for at once, in its own loop, while the items after it
 * upload. The output keeps the input order, each output item paired with its input item.
 *
 * A failing item becomes an error item under Continue On Fail. Otherwise the run stops at once
 * (fail fast): no item starts after the failure, requests waiting for their turn and uploads stop,
 * waits end, and the error names the tasks this execution had already submitted. A canceled
 * execution stops the run the same way; the run's stop reason tells the two apart.
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
	const concurrency = concurrencyOf(this);
	const run = new EverGisRun(this, { itemsAtOnce: concurrency });
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
			run.stop('itemFailed');
		}
		return [];
	};

	/** A task's output once its wait has ended (nothing when the run stopped for another item). */
	const outputOnceEnded = async (
		pending: PendingTask,
		itemIndex: number,
	): Promise<INodeExecutionData[]> => {
		const outcome = await waitForTask(run, pending.wait);
		await pending.ended?.(outcome);
		return outputOf(this, pending, outcome, itemIndex, failed);
	};

	let prepared: unknown;
	try {
		prepared = await operation.prepare?.call(this, run, concurrency);
	} catch (error) {
		if (!continueOnFail) throw asNodeError(this, error);
		const errors = items.map((_item, itemIndex) =>
			errorItem(asNodeError(this, error, itemIndex), itemIndex),
		);
		return operation.outputs === 2 ? [errors, []] : [errors];
	}
	/** Per item, its output in order: its own items, then one group per task it handed over. */
	const outputs: INodeExecutionData[][][] = items.map(() => []);
	const second: INodeExecutionData[][] = items.map(() => []);
	const waits: Array<Promise<void>> = [];
	try {
		await mapWithConcurrency(
			items,
			concurrency,
			async (_item, itemIndex) => {
				try {
					const result = await operation.execute.call(this, itemIndex, run, prepared);
					outputs[itemIndex].push(paired(result.items ?? [], itemIndex));
					second[itemIndex] = paired(result.second ?? [], itemIndex);
					for (const pending of result.pending ?? []) {
						const group: INodeExecutionData[] = [];
						outputs[itemIndex].push(group);
						waits.push(outputOnceEnded(pending, itemIndex).then((out) => void group.push(...out)));
					}
				} catch (error) {
					outputs[itemIndex].push(failed(error, itemIndex));
				}
			},
			() => run.signal.aborted,
		);
		await Promise.all(waits);
	} finally {
		await operation.finish?.call(this, prepared);
	}
	if (firstFailure) throw withSubmittedTasks(run, firstFailure);
	return operation.outputs === 2 ? [outputs.flat(2), second.flat()] : [outputs.flat(2)];
}

function paired(items: INodeExecutionData[], itemIndex: number): INodeExecutionData[] {
	return items.map((item) => ({ ...item, pairedItem: { item: itemIndex } }));
}

/** The output for a task the item waited for: its item, or its failure (a task that ended Failed, …). */
function outputOf(
	context: IExecuteFunctions,
	pending: PendingTask,
	outcome: WaitOutcome,
	itemIndex: number,
	failed: (error: unknown, itemIndex: number, context: IDataObject) => INodeExecutionData[],
): INodeExecutionData[] {
	if (!outcome.ended) return outcome.error ? failed(outcome.error, itemIndex, pending.context) : [];
	const { progress } = outcome;
	if (isFailureStatus(progress.status) && !pending.outputFailedTasks) {
		const error = operationError(
			context.getNode(),
			`${pending.failure.subject} ended ${progress.status}: ${failureReason(progress)}`,
			{ itemIndex, description: pending.failure.hint },
		);
		return failed(error, itemIndex, pending.context);
	}
	return paired([pending.output(progress)], itemIndex);
}

/** The node's error names the tasks it had submitted: they keep running on EverGIS. */
function withSubmittedTasks(run: EverGisRun, failure: NodeError): NodeError {
	const submitted = run.submittedTaskIds;
	if (submitted.length > 0) {
		failure.description =
			`${failure.description ?? ''} Tasks this execution had submitted, which keep running on EverGIS: ` +
			`${submitted.join(', ')}. Look them up with Task → Get Status, or stop them with Task → Cancel.`;
		failure.description = failure.description.trim();
	}
	return failure;
}
