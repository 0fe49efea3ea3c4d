import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import type { TaskProgress } from '../model/task';
import type { WaitRequest } from '../transport/waitForTasks';

/**
 * A task the item started (or names) and that the node waits for. Once every item has done its own
 * work, the router waits for all of them in one loop and turns each outcome into the item's output.
 */
export interface PendingTask {
	wait: WaitRequest;
	/** The output item for the ended task. */
	output: (progress: TaskProgress) => INodeExecutionData;
	/**
	 * Told once how the task ended for this execution: `true` when it Completed; `false` when it
	 * ended otherwise, its wait failed, or the node stopped waiting for it. Must not throw.
	 */
	ended?: (completed: boolean) => Promise<void>;
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
}

export interface Operation {
	description: INodeProperties[];
	/** The work for one item. Runs concurrently with other items; waiting happens after, in the router. */
	execute: (this: IExecuteFunctions, itemIndex: number) => Promise<ItemResult>;
}
