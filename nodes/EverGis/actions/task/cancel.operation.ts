import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { progressSummary } from '../../model/task';
import type { EverGisRun } from '../../transport/run';
import { cancelTask } from '../../transport/tasks';
import { taskIdField } from '../common/descriptions';
import type { ItemResult } from '../types';
import { taskIdOf } from './taskId';

const show = { resource: ['task'], operation: ['cancel'] };

export const description: INodeProperties[] = [{ ...taskIdField, displayOptions: { show } }];

/** Task → Cancel: asks EverGIS to stop the task; a task that already ended is returned as it is. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: EverGisRun,
): Promise<ItemResult> {
	const progress = await cancelTask(run, taskIdOf.call(this, itemIndex), itemIndex);
	return { items: [{ json: progressSummary(progress) }] };
}
