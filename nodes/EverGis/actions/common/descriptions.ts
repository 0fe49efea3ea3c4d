import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

/** Fields that several operations share. */

export const taskIdField: INodeProperties = {
	displayName: 'Task ID',
	name: 'taskId',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'e.g. 91126928-4189-4c20-890a-fc5c56001d26',
	description: 'ID of the EverGIS scheduler task, e.g. the taskId output of Upload to Catalog',
};

export const pollIntervalOption: INodeProperties = {
	displayName: 'Poll Interval (Seconds)',
	name: 'pollInterval',
	type: 'number',
	typeOptions: { minValue: 1 },
	default: 5,
	description:
		'How often to ask EverGIS for the progress of each task while waiting, at first: a task that runs long is asked less often (an eighth of its age, up to 5 minutes)',
};

export const timeoutOption: INodeProperties = {
	displayName: 'Timeout (Seconds)',
	name: 'timeout',
	type: 'number',
	typeOptions: { minValue: 1 },
	default: 3600,
	description:
		'How long a task may take, from its submission (Task → Wait for Completion: from the start of the wait), before its item fails with a timeout error. The task itself keeps running on EverGIS.',
};

export const failedTasksOption: INodeProperties = {
	displayName: 'Output Failed Tasks as Items',
	name: 'outputFailedTasks',
	type: 'boolean',
	default: false,
	description:
		'Whether a task that ends Failed, Canceled, Timeout, Error or Interrupted becomes a normal output item (with its status and message) instead of an error of the item',
};

export const concurrencyOption: INodeProperties = {
	displayName: 'Concurrency',
	name: 'concurrency',
	type: 'number',
	typeOptions: { minValue: 1, maxValue: 32 },
	default: 4, // DEFAULT_CONCURRENCY
	description:
		'How many items are processed at the same time (uploads and task requests). The node sends fewer requests at once when EverGIS says it is busy.',
};

export const keepOriginalNamesOption: INodeProperties = {
	displayName: 'Keep Original File Names',
	name: 'keepOriginalNames',
	type: 'boolean',
	default: false,
	description:
		'Whether to upload under the original file name (a file of that name in temporary storage is replaced). Off: each upload gets a unique name, so two items with the same file name cannot overwrite each other.',
};

const DEFAULT_CONCURRENCY = 4;

/** The node's Concurrency option (the first item's: one pool serves all items). */
export function concurrencyOf(context: IExecuteFunctions): number {
	const value = Number(context.getNodeParameter('options.concurrency', 0, DEFAULT_CONCURRENCY));
	return Number.isFinite(value) && value >= 1 ? Math.floor(value) : DEFAULT_CONCURRENCY;
}
