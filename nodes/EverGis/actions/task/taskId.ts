import type { IExecuteFunctions } from 'n8n-workflow';
import { UserError } from 'n8n-workflow';

/** The Task ID parameter, trimmed and checked. */
export function taskIdOf(this: IExecuteFunctions, itemIndex: number): string {
	const value = this.getNodeParameter('taskId', itemIndex, '');
	const taskId = String(value ?? '').trim();
	if (taskId === '') {
		throw new UserError('Task ID is empty', {
			description: 'Map the taskId of an earlier EverGIS Tiling step, e.g. {{ $json.taskId }}.',
		});
	}
	if (/[\s/?#]/.test(taskId)) {
		throw new UserError(`'${taskId}' is not a task ID`, {
			description: 'A task ID looks like 91126928-4189-4c20-890a-fc5c56001d26.',
		});
	}
	return taskId;
}
