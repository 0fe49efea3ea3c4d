import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { isFailureStatus } from '../../model/statuses';
import { failureReason, progressSummary } from '../../model/task';
import { operationError } from '../../shared/nodeErrors';
import {
	failedTasksOption,
	pollIntervalOption,
	taskIdField,
	timeoutOption,
} from '../common/descriptions';
import { waitOptionsFrom } from '../common/waitOptions';
import type { ItemResult } from '../types';
import { taskIdOf } from './taskId';

const show = { resource: ['task'], operation: ['waitForCompletion'] };

export const description: INodeProperties[] = [
	{ ...taskIdField, displayOptions: { show } },
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		displayOptions: { show },
		default: {},
		options: [failedTasksOption, pollIntervalOption, timeoutOption],
	},
];

/** Task → Wait for Completion: waits (with every other item's tasks, in one loop) until the task ends. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<ItemResult> {
	const taskId = taskIdOf.call(this, itemIndex);
	const waitOptions = waitOptionsFrom(
		this.getNodeParameter('options', itemIndex, {}) as IDataObject,
	);
	return {
		pending: [
			{
				wait: { taskId, itemIndex, ...waitOptions },
				context: { taskId },
				finish: (progress) => {
					if (isFailureStatus(progress.status) && !waitOptions.outputFailedTasks) {
						throw operationError(
							this.getNode(),
							`Task ${taskId} ended ${progress.status}: ${failureReason(progress)}`,
							{
								itemIndex,
								description:
									'Turn on Options → Output Failed Tasks as Items to pass it on as an item instead.',
							},
						);
					}
					return { json: progressSummary(progress) };
				},
			},
		],
	};
}
