import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { progressSummary } from '../../model/task';
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

/** Task → Wait for Completion: waits (beside every other item's task) until the task ends. */
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
				output: (progress) => ({ json: progressSummary(progress, { ended: true }) }),
				outputFailedTasks: waitOptions.outputFailedTasks,
				failure: {
					subject: `Task ${taskId}`,
					hint: 'Turn on Options → Output Failed Tasks as Items to pass it on as an item instead.',
				},
			},
		],
	};
}
