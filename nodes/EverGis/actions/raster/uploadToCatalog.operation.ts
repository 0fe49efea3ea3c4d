import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import type { CreatedTask, TaskProgress } from '../../model/task';
import { progressSummary } from '../../model/task';
import type { TilingBody } from '../../model/tilingBody';
import { buildTilingBody, parseAttributes } from '../../model/tilingBody';
import { asNodeError, withDetails } from '../../shared/nodeErrors';
import { checkCatalogExists } from '../../transport/catalogs';
import { taskMayExist } from '../../transport/errors';
import type { EverGisRun } from '../../transport/run';
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
import type { ItemResult } from '../types';
import type { ItemMemory } from './alreadyLoaded';
import {
	AlreadyLoaded,
	alreadyLoadedFields,
	forgetEarlierLoadsOption,
	rememberAtMostOption,
} from './alreadyLoaded';
import type { FileState } from './loadMemory';
import { createMayHaveSucceeded } from './loadMemory';

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
	...alreadyLoadedFields(show),
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
			forgetEarlierLoadsOption,
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
					'Levels of detail of the Cloud Optimized GeoTIFF (maxZoomLevel), 1 to 30. 0 (the default) is not sent: EverGIS chooses.',
			},
			failedTasksOption,
			pollIntervalOption,
			rememberAtMostOption,
			timeoutOption,
		],
	},
];

interface Parameters {
	serviceName: string;
	createNewService: boolean;
	options: IDataObject;
	wait: boolean;
}

/** A task to submit: the files it loads and its body (whose file names are set after the upload). */
interface TaskPlan {
	files: ItemFile[];
	body: TilingBody;
}

/** A file in temporary storage, by the fileId EverGIS answered (which a task must name). */
interface StoredFile {
	name: string;
	fileId: string;
	binaryProperty?: string;
	size?: number;
}

/** A task EverGIS created: the files it loads (as the item has them, and as stored), and its body. */
interface SubmittedTask {
	taskId: string;
	status: string;
	serviceName: string;
	createNewService: boolean;
	/** The item's files the task loads (the memory of loaded files knows them by these). */
	sources: ItemFile[];
	files: StoredFile[];
	attributes: IDataObject;
	submittedAt: number;
}

/** The run's Skip Files Already Loaded (made before anything else, so that `finish` always ends it). */
export function start(this: IExecuteFunctions, run: EverGisRun): AlreadyLoaded {
	return new AlreadyLoaded(this, run);
}

/** Skip Files Already Loaded: one look-up of every item's files, before any item uploads. */
export async function prepare(
	this: IExecuteFunctions,
	skip: AlreadyLoaded,
	_run: EverGisRun,
	concurrency: number,
): Promise<void> {
	await skip.lookUp(concurrency, async (index) => ({
		serviceName: this.getNodeParameter('catalog', index, '', { extractValue: true }) as string,
		files: await itemFiles.call(
			this,
			index,
			this.getNodeParameter('options', index, {}) as IDataObject,
		),
		checkCatalog: this.getNodeParameter('createNewService', index, false) !== true,
	}));
}

/** New files that no item took (its item failed early, the run stopped) load again next run. */
export async function finish(this: IExecuteFunctions, skip: AlreadyLoaded): Promise<void> {
	await skip.memory.finish();
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: EverGisRun,
	skip: AlreadyLoaded,
): Promise<ItemResult> {
	const parameters: Parameters = {
		serviceName: this.getNodeParameter('catalog', itemIndex, '', { extractValue: true }) as string,
		createNewService: this.getNodeParameter('createNewService', itemIndex, false) as boolean,
		options: this.getNodeParameter('options', itemIndex, {}) as IDataObject,
		wait: this.getNodeParameter('waitForCompletion', itemIndex, true) as boolean,
	};
	const plans = await planTasks.call(this, itemIndex, parameters);
	const waitOptions = waitOptionsFrom(parameters.options);
	// Skip Files Already Loaded: what the memory says of each file; this item loads the new ones.
	const memory = skip.forItem(itemIndex);
	const states = new Map<ItemFile, FileState>(
		plans.flatMap((plan) => plan.files).map((file) => [file, memory?.take(file) ?? NEW]),
	);
	const toLoad = plans
		.map((plan) => ({
			...plan,
			files: plan.files.filter((file) => states.get(file)?.state === 'new'),
		}))
		.filter((plan) => plan.files.length > 0);
	const keepBinary = parameters.options.keepBinary === true;
	const skippedItems = memory
		? plans.flatMap((plan) =>
				skippedOutput.call(this, memory, plan.files, states, {
					serviceName: parameters.serviceName,
					itemIndex,
					keepBinary,
				}),
			)
		: [];
	const submitted: SubmittedTask[] = [];
	try {
		// Checked before the first byte is uploaded: the bodies (above) and the catalog.
		if (!parameters.createNewService && toLoad.length > 0) {
			await checkCatalogExists(run, plans[0].body.target.serviceName);
		}
		for (const plan of toLoad) {
			submitted.push(await submit.call(this, run, plan, itemIndex, submitted, memory));
		}
	} catch (error) {
		// The files whose task was not created are not loaded: they load again next run. Those whose
		// task was created (or may have been) count as loaded: the memory knows which.
		await memory?.letGo(toLoad.flatMap((plan) => plan.files));
		throw asNodeError(this, error, itemIndex);
	}
	const output = (task: SubmittedTask, progress?: TaskProgress) =>
		outputItem.call(this, task, itemIndex, keepBinary, progress);
	// Without waiting, the files count as loaded; a later run asks their task how it ended.
	if (!parameters.wait) {
		return { items: [...skippedItems, ...submitted.map((task) => output(task))] };
	}
	return {
		items: skippedItems,
		pending: submitted.map((task) => ({
			wait: { taskId: task.taskId, itemIndex, since: task.submittedAt, ...waitOptions },
			context: {
				taskId: task.taskId,
				serviceName: task.serviceName,
				files: task.files.map((file) => file.name),
			},
			output: (progress) => output(task, progress),
			ended: memory ? async (outcome) => await memory.taskEnded(task.sources, outcome) : undefined,
			outputFailedTasks: waitOptions.outputFailedTasks,
			failure: {
				subject: `Tiling task ${task.taskId}`,
				hint: `Files: ${task.files.map((file) => file.name).join(', ')}. Catalog: ${task.serviceName}. Check the raster (a damaged or unsupported file fails the task), or turn on Options → Output Failed Tasks as Items.`,
			},
		})),
	};
}

const NEW: FileState = { state: 'new' };

/** What a skipped item says, by the file's state. */
const SKIPPED: Record<
	Exclude<FileState['state'], 'new'>,
	(state: FileState, serviceName: string) => string
> = {
	loaded: (_state, serviceName) =>
		`Already loaded into ${serviceName} (by an earlier execution): not uploaded again`,
	beingLoaded: (state) =>
		`Not loaded by this execution: ${state.why}. A later run loads it if it is not loaded by then.`,
	uncertain: (state, serviceName) =>
		`Counted as loaded into ${serviceName}, not uploaded again, but no run knows that it was: ${state.why}. ` +
		"Check the catalog: if the file is missing, run once with Options → Forget Earlier Loads → 'These Input Files'; if it is there, nothing is to be done.",
};

/** The output items for a plan's files left out of this run: one per reason (loaded before, being loaded, …). */
function skippedOutput(
	this: IExecuteFunctions,
	memory: ItemMemory,
	files: ItemFile[],
	states: Map<ItemFile, FileState>,
	{
		serviceName,
		itemIndex,
		keepBinary,
	}: { serviceName: string; itemIndex: number; keepBinary: boolean },
): INodeExecutionData[] {
	const groups = new Map<string, { state: FileState; files: ItemFile[] }>();
	for (const file of files) {
		const state = states.get(file) ?? NEW;
		if (state.state === 'new') continue;
		const reason = `${state.state}|${state.taskId ?? ''}|${state.why ?? ''}`;
		const group = groups.get(reason) ?? { state, files: [] };
		group.files.push(file);
		groups.set(reason, group);
	}
	return [...groups.values()].map(({ state, files: skipped }) => ({
		json: {
			skipped: true,
			reason: state.state === 'loaded' ? 'alreadyLoaded' : state.state,
			serviceName,
			matchFilesBy: memory.matchBy,
			files: memory.describe(skipped),
			...(state.taskId ? { taskId: state.taskId } : {}),
			message: SKIPPED[state.state as Exclude<FileState['state'], 'new'>](state, serviceName),
		},
		...(keepBinary ? { binary: this.getInputData()[itemIndex].binary } : {}),
	}));
}

/** The item's files, grouped into tasks, each with its body built (and so checked). */
async function planTasks(
	this: IExecuteFunctions,
	itemIndex: number,
	{ serviceName, createNewService, options }: Parameters,
): Promise<TaskPlan[]> {
	const attributes = parseAttributes(
		this.getNodeParameter('attributesMode', itemIndex, 'fields') as 'fields' | 'json',
		(this.getNodeParameter('attributes.attribute', itemIndex, []) as IDataObject[]) ?? [],
		this.getNodeParameter('attributesJson', itemIndex, '{}'),
	);
	const files = await itemFiles.call(this, itemIndex, options);
	const groups =
		this.getNodeParameter('taskPer', itemIndex, 'file') === 'item'
			? [files]
			: files.map((file) => [file]);
	return groups.map((group) => ({
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
}

/** The item's files, each with the name it will have in temporary storage. */
async function itemFiles(
	this: IExecuteFunctions,
	itemIndex: number,
	options: IDataObject,
): Promise<ItemFile[]> {
	return await filesOfItem.call(this, itemIndex, {
		source: this.getNodeParameter('inputSource', itemIndex, 'binary') as InputSource,
		binaryProperties: this.getNodeParameter('binaryProperties', itemIndex, 'data'),
		fileIds: this.getNodeParameter('fileIds', itemIndex, ''),
		keepOriginalNames: options.keepOriginalNames === true,
	});
}

/**
 * Uploads the plan's files and creates its task, naming the files by the fileIds EverGIS answered,
 * and tells the memory of loaded files that the task exists (or may exist).
 */
async function submit(
	this: IExecuteFunctions,
	run: EverGisRun,
	plan: TaskPlan,
	itemIndex: number,
	earlier: SubmittedTask[],
	memory: ItemMemory | undefined,
): Promise<SubmittedTask> {
	let stored = await store.call(this, run, plan.files, itemIndex);
	const create = async () =>
		await createTilingTask(
			run,
			{ ...plan.body, files: stored.map((file) => file.fileId) },
			itemIndex,
		);
	let created: CreatedTask;
	try {
		try {
			created = await create();
		} catch (error) {
			const uploaded = stored.filter((_file, index) => plan.files[index].upload);
			if (
				!lostUploads(
					error,
					uploaded.map((file) => file.fileId),
				)
			) {
				throw asNodeError(this, error, itemIndex);
			}
			// The files went with an old login session (EverGIS refused the task for want of them):
			// a 400 means no task was made, so they are uploaded again and the task asked for once more.
			stored = await store.call(this, run, plan.files, itemIndex);
			created = await create();
		}
	} catch (error) {
		const mayExist = memory !== undefined && createMayHaveSucceeded(error);
		if (mayExist) await memory.taskMayExist(plan.files, error);
		throw submitFailure(this, error, itemIndex, plan, stored, earlier, mayExist);
	}
	await memory?.taskCreated(plan.files, created.taskId);
	return {
		taskId: created.taskId,
		status: created.status,
		serviceName: plan.body.target.serviceName,
		createNewService: plan.body.target.createNewService,
		sources: plan.files,
		files: stored,
		attributes: plan.body.attributes ?? {},
		submittedAt: Date.now(),
	};
}

/** Puts binary files into temporary storage; files named by fileId are there already. */
async function store(
	this: IExecuteFunctions,
	run: EverGisRun,
	files: ItemFile[],
	itemIndex: number,
): Promise<StoredFile[]> {
	const stored: StoredFile[] = [];
	for (const file of files) {
		const fileId = file.upload
			? (await uploadToTemporaryStorage(run, file.upload, itemIndex)).fileId
			: file.fileId;
		stored.push({
			name: file.name,
			fileId,
			...(file.binaryProperty ? { binaryProperty: file.binaryProperty } : {}),
			...(file.size !== undefined ? { size: file.size } : {}),
		});
	}
	return stored;
}

/**
 * The item's error when its task could not be submitted. When EverGIS may have created the task
 * anyway, it carries what is needed to check and to retry by hand without uploading again: the
 * catalog, the files and their fileIds, and (with Skip Files Already Loaded) that the files count as
 * loaded. It names the tasks the item had created before.
 */
function submitFailure(
	context: IExecuteFunctions,
	error: unknown,
	itemIndex: number,
	plan: TaskPlan,
	stored: StoredFile[],
	earlier: SubmittedTask[],
	/** Skip Files Already Loaded counts the files as loaded: the task may exist. */
	remembered: boolean,
) {
	const failure = asNodeError(context, error, itemIndex);
	const notes: string[] = [];
	if (taskMayExist(error)) {
		notes.push(
			`Catalog: ${plan.body.target.serviceName}. Files: ${stored.map((file) => `${file.name} (fileId ${file.fileId})`).join(', ')}. ` +
				"To load them without uploading again, use Input Files → 'Files Already in Temporary Storage' with those fileIds.",
		);
		withDetails(failure, {
			serviceName: plan.body.target.serviceName,
			files: stored.map((file) => ({ name: file.name, fileId: file.fileId })),
		});
	}
	if (remembered) {
		notes.push(
			'EverGIS may have created the task: Skip Files Already Loaded counts these files as loaded (never a second task), and the next run that meets them says so (reason "uncertain"). ' +
				"If the task does not exist, run once with Options → Forget Earlier Loads → 'These Input Files'.",
		);
	}
	if (earlier.length > 0) {
		notes.push(
			`Tasks this item had already created: ${earlier.map((task) => task.taskId).join(', ')}.`,
		);
	}
	if (notes.length > 0) {
		failure.description = [failure.description ?? '', ...notes].join(' ').trim();
	}
	return failure;
}

function outputItem(
	this: IExecuteFunctions,
	task: SubmittedTask,
	itemIndex: number,
	keepBinary: boolean,
	progress?: TaskProgress,
): INodeExecutionData {
	return {
		json: {
			taskId: task.taskId,
			status: progress?.status ?? task.status,
			serviceName: task.serviceName,
			createNewService: task.createNewService,
			files: task.files.map((file) => ({ ...file })),
			attributes: task.attributes,
			// A progress given here is the one the wait ended with.
			...(progress
				? progressSummary(progress, { ended: true })
				: { finished: false, taskResult: null, tilesCreated: null }),
			submittedAt: new Date(task.submittedAt).toISOString(),
			...(progress ? { finishedAt: new Date().toISOString() } : {}),
		},
		...(keepBinary ? { binary: this.getInputData()[itemIndex].binary } : {}),
	};
}
