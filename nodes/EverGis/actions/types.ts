import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import type { TaskProgress } from '../model/task';
import type { EverGisRun } from '../transport/run';
import type { WaitOutcome, WaitRequest } from '../transport/waitForTask';

/**
 * A task the item started (or names) and that the node waits for. The router waits for each in its
 * own loop as soon as the item hands it over, and turns the outcome into the item's output.
 */
export interface PendingTask {
	wait: WaitRequest;
	/** The output item for the ended task. */
	output: (progress: TaskProgress) => INodeExecutionData;
	/** Told how the wait ended (the memory of loaded files settles the task's files). Must not throw. */
	ended?: (outcome: WaitOutcome) => Promise<void>;
	/** A task that ended Failed, Canceled, … is an error of its item, unless this is on. */
	outputFailedTasks: boolean;
	/** Words for that error: what the task is ("Tiling task 1c8d…"), and what to check. */
	failure: { subject: string; hint: string };
	/** What an error item for this task carries besides the error (task ID, files, ...). */
	context: IDataObject;
}

export interface ItemResult {
	/** Output for this item now (pairedItem is set by the router). */
	items?: INodeExecutionData[];
	/** Tasks whose end gives more output, in order, after `items`. */
	pending?: PendingTask[];
	/** Output for the node's second output (Keep New Files: the files loaded or being loaded). */
	second?: INodeExecutionData[];
}

/**
 * One operation. `prepare` runs once before the items' own work, for what is better done for all
 * items at once (Upload to Catalog: one look-up of every item's files in the memory of loaded
 * files); what it returns is handed to each item's `execute`. `finish` runs once at the end,
 * however the run ended (it lets go of what no item took).
 */
export interface Operation<Prepared = unknown> {
	description: INodeProperties[];
	/** The node's outputs for this operation (its `outputs` expression shows as many): 1 unless said. */
	outputs?: 1 | 2;
	prepare?(this: IExecuteFunctions, run: EverGisRun, concurrency: number): Promise<Prepared>;
	/** The work for one item. Runs concurrently with other items. */
	execute(
		this: IExecuteFunctions,
		itemIndex: number,
		run: EverGisRun,
		prepared: Prepared,
	): Promise<ItemResult>;
	finish?(this: IExecuteFunctions, prepared: Prepared): Promise<void>;
}
