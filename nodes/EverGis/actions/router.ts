import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { isFailureStatus } from '../model/statuses';
import { failureReason } from '../model/task';
import { asNodeError, errorItem, operationError } from '../shared/nodeErrors';
import { mapWithConcurrency } from '../shared/pool';
import { TaskWaiter } from '../transport/waiter';
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
 * Runs the chosen operation for every input item. It owns what every operation shares: items run
 * with bounded concurrency, every task any item waits for joins one wait loop, output keeps the
 * input order, each output item is paired with its input item, and a failing item either becomes
 * an error item (Continue On Fail) or stops the node once the items already started have settled.
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
	const continueOnFail = this.continueOnFail();
	const waiter = new TaskWaiter(this);
	const outputs: Array<Promise<INodeExecutionData[]>> = [];
	let fatal: Error | undefined;

	const fail = (
		error: unknown,
		itemIndex: number,
		context: IDataObject = {},
	): INodeExecutionData[] => {
		const failure = asNodeError(this, error, itemIndex);
		if (continueOnFail) return [errorItem(failure, itemIndex, context)];
		if (!fatal) {
			fatal = failure;
			waiter.stop((taskId, index) =>
				operationError(this.getNode(), `Stopped waiting for task ${taskId}: another item failed`, {
					itemIndex: index,
				}),
			);
		}
		return [];
	};

	const finish = async (pending: PendingTask, itemIndex: number): Promise<INodeExecutionData[]> => {
		const outcome = await waiter.wait(pending.wait);
		try {
			if (!outcome.ok) throw outcome.error;
			const { progress } = outcome;
			if (isFailureStatus(progress.status) && !pending.outputFailedTasks) {
				throw operationError(
					this.getNode(),
					`${pending.failure.subject} ended ${progress.status}: ${failureReason(progress)}`,
					{ itemIndex, description: pending.failure.hint },
				);
			}
			return [{ ...pending.output(progress), pairedItem: { item: itemIndex } }];
		} catch (error) {
			return fail(error, itemIndex, pending.context);
		}
	};

	const collect = async (result: ItemResult, itemIndex: number): Promise<INodeExecutionData[]> => {
		const now = (result.items ?? []).map((item) => ({ ...item, pairedItem: { item: itemIndex } }));
		const later = await Promise.all(
			(result.pending ?? []).map(async (pending) => await finish(pending, itemIndex)),
		);
		return [...now, ...later.flat()];
	};

	await mapWithConcurrency(
		items,
		concurrency,
		async (_item, itemIndex) => {
			let result: ItemResult;
			try {
				result = await operation.execute.call(this, itemIndex);
			} catch (error) {
				outputs[itemIndex] = Promise.resolve(fail(error, itemIndex));
				return;
			}
			outputs[itemIndex] = collect(result, itemIndex);
		},
		() => fatal !== undefined,
	);
	const collected = await Promise.all(outputs.filter((output) => output !== undefined));
	if (fatal) throw fatal;
	return [collected.flat()];
}
