import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import type { TaskProgress } from '../../model/task';
import { progressSummary } from '../../model/task';
import type { TilingBody } from '../../model/tilingBody';
import { buildTilingBody, parseAttributes } from '../../model/tilingBody';
import { asNodeError } from '../../shared/nodeErrors';
import { createTilingTask, lostUploads } from '../../transport/tasks';
import { uploadToTemporaryStorage } from '../../transport/upload';
import { catalogLocator } from '../common/catalog';
import {
	concurrencyOption,
	failedTasksOption,
	keepOriginalNamesOption,
	pollIntervalOption,
	timeoutOption,
} from '../common/descriptions';
import type { InputSource, ItemFile } from '../common/inputFiles';
import { filesOfItem, inputFileFields } from '../common/inputFiles';
import { waitOptionsFrom } from '../common/waitOptions';
import type { ItemResult, PendingTask } from '../types';

const show = { resource: ['raster'], operation: ['uploadToCatalog'] };

export const description: INodeProperties[] = [
	{ ...catalogLocator, displayOptions: { show } },
	{
		displayName: 'Create New Catalog',
		name: 'createNewService',
		type: 'boolean',
		displayOptions: { show },
		default: false,
		description:
			'Whether EverGIS should create the catalog (createNewService). Give the new catalog its system name under Catalog → By Name.',
	},
	{
		displayName: 'Catalog Configuration (JSON)',
		name: 'attributesConfiguration',
		type: 'json',
		displayOptions: { show: { ...show, createNewService: [true] } },
		default: '',
		description:
			'Optional attributesConfiguration of the new catalog (idAttribute, titleAttribute, attributes, …) as in the EverGIS docs. Leave empty for the server default.',
	},
	...inputFileFields(show, { allowStorage: true }),
	{
		displayName: 'Tasks',
		name: 'taskPer',
		type: 'options',
		displayOptions: { show },
		options: [
			{
				name: 'One Task per File',
				value: 'file',
				description: 'Each file gets its own task (what the EverGIS docs advise)',
			},
			{
				name: 'One Task per Item',
				value: 'item',
				description: 'All files of the item go into one task and get the same attribute values',
			},
		],
		default: 'file',
	},
	{
		displayName: 'Attributes',
		name: 'attributesMode',
		type: 'options',
		displayOptions: { show },
		options: [
			{
				name: 'Fields',
				value: 'fields',
				description: 'Pick attributes of the catalog and set their values',
			},
			{ name: 'JSON', value: 'json', description: 'Give all attribute values as one JSON object' },
		],
		default: 'fields',
		description: 'Values of the catalog attributes that every file of the task gets',
	},
	{
		displayName: 'Attribute Values',
		name: 'attributes',
		type: 'fixedCollection',
		placeholder: 'Add Attribute',
		typeOptions: { multipleValues: true },
		displayOptions: { show: { ...show, attributesMode: ['fields'] } },
		default: {},
		options: [
			{
				displayName: 'Attribute',
				name: 'attribute',
				values: [
					{
						displayName: 'Name or ID',
						name: 'name',
						type: 'options',
						typeOptions: {
							loadOptionsMethod: 'getCatalogAttributes',
							loadOptionsDependsOn: ['catalog.value'],
						},
						default: '',
						description:
							'Attribute of the chosen catalog. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
					},
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						description:
							'Value for the attribute. An expression keeps its type: a number stays a number, null stays null.',
					},
				],
			},
		],
	},
	{
		displayName: 'Attributes (JSON)',
		name: 'attributesJson',
		type: 'json',
		displayOptions: { show: { ...show, attributesMode: ['json'] } },
		default: '{}',
		placeholder: '{"name": "Landsat-8", "dateofimage": "2023-12-08T12:00:00+00:00"}',
		description: 'An object of catalog attribute names and their values',
	},
	{
		displayName: 'Wait for Completion',
		name: 'waitForCompletion',
		type: 'boolean',
		displayOptions: { show },
		default: true,
		description:
			'Whether to wait until each task has ended (Completed, Failed, …) before passing the items on. Off: the node returns at once with the task IDs.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		displayOptions: { show },
		default: {},
		options: [
			concurrencyOption,
			{
				displayName: 'Convert to Cloud Optimized GeoTIFF',
				name: 'useCog',
				type: 'boolean',
				default: true,
				description:
					'Whether EverGIS converts each raster to a Cloud Optimized GeoTIFF (useCog), as its docs recommend',
			},
			{
				displayName: 'Footprint From Pixels',
				name: 'polygonize',
				type: 'boolean',
				default: false,
				description:
					'Whether the footprint is traced from the non-empty pixels (polygonize) instead of the bounding box',
			},
			{
				displayName: 'Include Binary Data in Output',
				name: 'keepBinary',
				type: 'boolean',
				default: false,
				description: 'Whether the output items keep the binary data of the input item',
			},
			keepOriginalNamesOption,
			{
				displayName: 'Max Zoom Level',
				name: 'maxZoomLevel',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 30 },
				default: 0,
				description:
					'Levels of detail of the Cloud Optimized GeoTIFF (maxZoomLevel). Not added: left to EverGIS.',
			},
			failedTasksOption,
			pollIntervalOption,
			timeoutOption,
		],
	},
];

interface TaskPlan {
	files: ItemFile[];
	body: TilingBody;
}

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<ItemResult> {
	const serviceName = this.getNodeParameter('catalog', itemIndex, '', {
		extractValue: true,
	}) as string;
	const createNewService = this.getNodeParameter('createNewService', itemIndex, false) as boolean;
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const attributes = parseAttributes(
		this.getNodeParameter('attributesMode', itemIndex, 'fields') as 'fields' | 'json',
		(this.getNodeParameter('attributes.attribute', itemIndex, []) as IDataObject[]) ?? [],
		this.getNodeParameter('attributesJson', itemIndex, '{}'),
	);
	const files = await filesOfItem.call(this, itemIndex, {
		source: this.getNodeParameter('inputSource', itemIndex, 'binary') as InputSource,
		binaryProperties: this.getNodeParameter('binaryProperties', itemIndex, 'data'),
		fileIds: this.getNodeParameter('fileIds', itemIndex, ''),
		keepOriginalNames: options.keepOriginalNames === true,
	});
	const groups =
		this.getNodeParameter('taskPer', itemIndex, 'file') === 'item'
			? [files]
			: files.map((file) => [file]);
	// Every body is built (and so checked) before the first byte is uploaded.
	const plans: TaskPlan[] = groups.map((group) => ({
		files: group,
		body: buildTilingBody({
			serviceName,
			createNewService,
			attributesConfiguration: createNewService
				? this.getNodeParameter('attributesConfiguration', itemIndex, '')
				: undefined,
			files: group.map((file) => file.fileId),
			attributes,
			maxZoomLevel: options.maxZoomLevel,
			polygonize: options.polygonize as boolean | undefined,
			useCog: options.useCog as boolean | undefined,
		}),
	}));
	const wait = this.getNodeParameter('waitForCompletion', itemIndex, true) as boolean;
	const waitOptions = waitOptionsFrom(options);

	const created: Array<{ plan: TaskPlan; taskId: string; status: string; submittedAt: string }> =
		[];
	const upload = async (plan: TaskPlan) => {
		for (const file of plan.files) {
			if (file.upload) await uploadToTemporaryStorage.call(this, file.upload, itemIndex);
		}
	};
	const submit = async (plan: TaskPlan) => {
		await upload(plan);
		try {
			return await createTilingTask.call(this, plan.body, itemIndex);
		} catch (error) {
			const uploaded = plan.files.filter((file) => file.upload).map((file) => file.fileId);
			if (!lostUploads(error, uploaded)) throw asNodeError(this, error, itemIndex);
		}
		// The files went with an old login session (EverGIS refused the task for want of them): a
		// 400 means no task was made, so they are uploaded again, under the same names, and the
		// task is asked for once more.
		await upload(plan);
		return await createTilingTask.call(this, plan.body, itemIndex);
	};
	try {
		for (const plan of plans) {
			const task = await submit(plan);
			created.push({
				plan,
				taskId: task.taskId,
				status: task.status,
				submittedAt: new Date().toISOString(),
			});
		}
	} catch (error) {
		const failure = asNodeError(this, error, itemIndex);
		if (created.length > 0) {
			const ids = created.map((task) => task.taskId).join(', ');
			failure.description =
				`${failure.description ?? ''} Tasks this item had already created: ${ids}.`.trim();
		}
		throw failure;
	}

	const output = (task: (typeof created)[number], progress?: TaskProgress): INodeExecutionData => ({
		json: {
			taskId: task.taskId,
			status: progress?.status ?? task.status,
			serviceName: task.plan.body.target.serviceName,
			createNewService: task.plan.body.target.createNewService,
			files: task.plan.files.map((file) => ({
				name: file.name,
				fileId: file.fileId,
				...(file.binaryProperty ? { binaryProperty: file.binaryProperty } : {}),
				...(file.size !== undefined ? { size: file.size } : {}),
			})),
			attributes: task.plan.body.attributes ?? {},
			...(progress
				? progressSummary(progress)
				: { finished: false, taskResult: null, tilesCreated: null }),
			submittedAt: task.submittedAt,
			...(progress ? { finishedAt: new Date().toISOString() } : {}),
		},
		...(options.keepBinary === true ? { binary: this.getInputData()[itemIndex].binary } : {}),
	});

	if (!wait) return { items: created.map((task) => output(task)) };

	const pending: PendingTask[] = created.map((task) => ({
		wait: { taskId: task.taskId, itemIndex, ...waitOptions },
		context: {
			taskId: task.taskId,
			serviceName: task.plan.body.target.serviceName,
			files: task.plan.files.map((f) => f.name),
		},
		output: (progress) => output(task, progress),
		outputFailedTasks: waitOptions.outputFailedTasks,
		failure: {
			subject: `Tiling task ${task.taskId}`,
			hint: `Files: ${task.plan.files.map((file) => file.name).join(', ')}. Catalog: ${task.plan.body.target.serviceName}. Check the raster (a damaged or unsupported file fails the task), or turn on Options → Output Failed Tasks as Items.`,
		},
	}));
	return { pending };
}
