import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { EverGisRun } from '../../transport/run';
import { getTaskInfo } from '../../transport/tasks';
import { taskIdField } from '../common/descriptions';
import type { ItemResult } from '../types';
import { taskIdOf } from './taskId';

const show = { resource: ['task'], operation: ['get'] };

export const description: INodeProperties[] = [{ ...taskIdField, displayOptions: { show } }];

/** Task → Get: the task's status, parameters (catalog, files, attributes) and dates. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: EverGisRun,
): Promise<ItemResult> {
	const taskId = taskIdOf.call(this, itemIndex);
	const info = await getTaskInfo(run, taskId, itemIndex);
	return { items: [{ json: { taskId: info.id ?? taskId, ...info } }] };
}
