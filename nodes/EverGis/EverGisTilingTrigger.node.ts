import type {
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { TRIGGER_STATUSES, UNKNOWN_GRACE, UNKNOWN_STATUS } from './model/statuses';
import { pollTasks } from './trigger/poll';

export class EverGisTilingTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'EverGIS Tiling Trigger',
		name: 'everGisTilingTrigger',
		icon: { light: 'file:../../icons/evergis.svg', dark: 'file:../../icons/evergis.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle:
			'={{"Watching " + String($parameter["taskIds"]).split(/[\\s,;]+/).filter(Boolean).length + " task(s)"}}',
		description:
			'Starts the workflow when EverGIS tiling tasks end (Completed, Failed, Canceled, …)',
		defaults: { name: 'EverGIS Tiling Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'everGisApi', required: true }],
		properties: [
			{
				displayName: 'Task IDs',
				name: 'taskIds',
				type: 'string',
				typeOptions: { rows: 3 },
				default: '',
				required: true,
				placeholder: 'e.g. 91126928-4189-4c20-890a-fc5c56001d26',
				description:
					'IDs of the tiling tasks to watch, separated by commas, spaces or new lines (or an expression that gives an array)',
			},
			{
				displayName: 'Fire On',
				name: 'statuses',
				type: 'multiOptions',
				options: TRIGGER_STATUSES.map((status) => ({
					name: status,
					value: status,
					...(status === UNKNOWN_STATUS
						? {
								description: `EverGIS said Unknown for ${UNKNOWN_GRACE.ms / 60_000} minutes and never how the task ended`,
							}
						: {}),
				})),
				default: [...TRIGGER_STATUSES],
				description:
					'The end statuses that start the workflow. Each task fires once, when it ends. A task that says Unknown has ended only once it has said so for 10 minutes.',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Include Task Info',
						name: 'includeTaskInfo',
						type: 'boolean',
						default: false,
						description:
							"Whether to add the task's parameters (catalog, files, attributes) and its dates, with one more request per task",
					},
				],
			},
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		return await pollTasks.call(this);
	}
}
