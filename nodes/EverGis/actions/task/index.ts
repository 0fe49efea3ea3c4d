import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../types';
import * as cancel from './cancel.operation';
import * as get from './get.operation';
import * as getStatus from './getStatus.operation';
import * as waitForCompletion from './waitForCompletion.operation';

export const operations: Record<string, Operation> = { get, getStatus, waitForCompletion, cancel };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['task'] } },
		options: [
			{
				name: 'Cancel',
				value: 'cancel',
				action: 'Cancel a task',
				description: 'Stop a running task',
			},
			{
				name: 'Get',
				value: 'get',
				action: 'Get a task',
				description: "Get a task's parameters, status and dates",
			},
			{
				name: 'Get Status',
				value: 'getStatus',
				action: 'Get the status of a task',
				description: "Get a task's status and progress now",
			},
			{
				name: 'Wait for Completion',
				value: 'waitForCompletion',
				action: 'Wait for a task to complete',
				description: 'Wait until a task has ended and return how it ended',
			},
		],
		default: 'getStatus',
	},
	...get.description,
	...getStatus.description,
	...waitForCompletion.description,
	...cancel.description,
];
