import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { isFailureStatus } from '../model/statuses';
import { failureReason } from '../model/task';
import type { NodeError } from '../shared/nodeErrors';
import { asNodeError, errorItem, operationError } from '../shared/nodeErrors';
import { mapWithConcurrency } from '../shared/pool';
import { EverGisRun } from '../transport/run';
import { waitForTask } from '../transport/waitForTask';
import { concurrencyOf } from './common/descriptions';
import * as file from './file';
import * as raster from './raster';
import * as task from './task';
import type { ItemResult, Operation, PendingTask } from './types';

const resources: Record<string, Record<string, Operation>> = {
	raster: raster.operations,
	task: task.operations,
	file: file.operations,
};

/** One item's output: on the node's first output, its items then one part per task, in order; on its second. */
interface ItemOutput {
	first: Array<Promise<INodeExecutionData[]>>;
	second: INodeExecutionData[];
}

/** The same once every part has ended. */
interface EndedOutput {
	first: INodeExecutionData[];
	second: INodeExecutionData[];
}

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
	const toErrorOutput = this.getNode().onError === 'continueErrorOutput';
	let firstFailure: NodeError | undefined;

	/** An item's failure: its error item, or (without Continue On Fail) the end of the run. */
	const failed = (error: unknown, itemIndex: number, context: IDataObject = {}) => {
		const failure = asNodeError(this, error, itemIndex);
		if (continueOnFail) return [errorItem(failure, itemIndex, context, toErrorOutput)];
		if (!firstFailure) {
			firstFailure = failure;
			run.stop('itemFailed');
		}
		return [];
	};

	/** A task's output once its wait has ended (nothing when the run stopped for another item). */
	const outputOnceEnded = async (pending: PendingTask, itemIndex: number) => {
		try {
			const outcome = await waitForTask(run, pending.wait);
			await pending.ended?.(outcome);
			if (!outcome.ended)
				return outcome.error ? failed(outcome.error, itemIndex, pending.context) : [];
			const { progress } = outcome;
			if (isFailureStatus(progress.status) && !pending.outputFailedTasks) {
				const error = operationError(
					this.getNode(),
					`${pending.failure.subject} ended ${progress.status}: ${failureReason(progress)}`,
					{ itemIndex, description: pending.failure.hint },
				);
				return failed(error, itemIndex, pending.context);
			}
			return paired([pending.output(progress)], itemIndex);
		} catch (error) {
			return failed(error, itemIndex, pending.context);
		}
	};

	/** One item's work: its output now, and a promise per task it handed over (its wait runs on). */
	const itemOutput = async (itemIndex: number, shared: unknown): Promise<ItemOutput> => {
		let result: ItemResult;
		try {
			result = await operation.execute.call(this, itemIndex, run, shared);
		} catch (error) {
			const errors = failed(error, itemIndex);
			return operation.errorOutput === 1
				? { first: [], second: errors }
				: { first: [Promise.resolve(errors)], second: [] };
		}
		return {
			first: [
				Promise.resolve(paired(result.items ?? [], itemIndex)),
				...(result.pending ?? []).map(async (pending) => await outputOnceEnded(pending, itemIndex)),
			],
			second: paired(result.second ?? [], itemIndex),
		};
	};

	/** Every item's output once its work and its tasks' waits have ended. */
	const itemsOutput = async (shared: unknown): Promise<EndedOutput[]> => {
		try {
			await operation.prepare?.call(this, shared, run, concurrency);
		} catch (error) {
			if (!continueOnFail) throw asNodeError(this, error);
			return items.map((_item, itemIndex) => {
				const errors = [
					errorItem(asNodeError(this, error, itemIndex), itemIndex, {}, toErrorOutput),
				];
				return operation.errorOutput === 1
					? { first: [], second: errors }
					: { first: errors, second: [] };
			});
		}
		const started = await mapWithConcurrency(
			items,
			concurrency,
			async (_item, itemIndex) => await itemOutput(itemIndex, shared),
			() => run.signal.aborted,
		);
		return await Promise.all(
			started.map(async (result) => {
				if (result?.status !== 'fulfilled') return { first: [], second: [] };
				return {
					first: (await Promise.all(result.value.first)).flat(),
					second: result.value.second,
				};
			}),
		);
	};

	const shared = operation.start?.call(this, run);
	let outputs: EndedOutput[];
	try {
		outputs = await itemsOutput(shared);
	} finally {
		await operation.finish?.call(this, shared);
	}
	if (firstFailure) throw withSubmittedTasks(run, firstFailure);
	const first = outputs.flatMap((output) => output.first);
	return operation.outputs === 2 ? [first, outputs.flatMap((output) => output.second)] : [first];
}

function paired(items: INodeExecutionData[], itemIndex: number): INodeExecutionData[] {
	return items.map((item) => ({ ...item, pairedItem: { item: itemIndex } }));
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
