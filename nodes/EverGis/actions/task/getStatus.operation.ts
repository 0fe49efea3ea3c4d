import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { progressSummary } from '../../model/task';
import type { EverGisRun } from '../../transport/run';
import { getTaskProgress } from '../../transport/tasks';
import { taskIdField } from '../common/descriptions';
import type { ItemResult } from '../types';
import { taskIdOf } from './taskId';

const show = { resource: ['task'], operation: ['getStatus'] };

export const description: INodeProperties[] = [{ ...taskIdField, displayOptions: { show } }];

/** Task → Get Status: the task's status and progress now, without waiting. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: EverGisRun,
): Promise<ItemResult> {
	const progress = await getTaskProgress(run, taskIdOf.call(this, itemIndex), { itemIndex });
	return { items: [{ json: progressSummary(progress) }] };
}
