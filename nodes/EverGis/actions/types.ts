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

/** What one item's work gives: its output now, then one part per task, in this order. */
export interface ItemResult {
	/** Output for this item now (pairedItem is set by the router). */
	items?: INodeExecutionData[];
	/** Tasks whose end gives more output, in order, after `items`. */
	pending?: PendingTask[];
	/** Output for the node's second output (Keep New Files: the files loaded or being loaded). */
	second?: INodeExecutionData[];
}

/**
 * One operation. What its items share in one run (the memory of loaded files) is made by `start`,
 * which cannot fail, before anything else; `prepare` then does what is better done for all items at
 * once (one look-up of every item's files); each item's `execute` gets it; and `finish` ends it
 * however the run ended, a failed `prepare` included (it lets go of what no item took).
 */
export interface Operation<Shared = unknown> {
	description: INodeProperties[];
	/** The node's outputs for this operation (its `outputs` expression shows as many): 1 unless said. */
	outputs?: 1 | 2;
	/**
	 * Where an item's error item goes under Continue (using Regular Output): 0 unless said. Keep New
	 * Files sends them to its second output, away from the download that follows New. Under Continue
	 * (using Error Output) n8n moves every error item to the error output itself.
	 */
	errorOutput?: 0 | 1;
	start?(this: IExecuteFunctions, run: EverGisRun): Shared;
	prepare?(
		this: IExecuteFunctions,
		shared: Shared,
		run: EverGisRun,
		concurrency: number,
	): Promise<void>;
	/** The work for one item. Runs concurrently with other items. */
	execute(
		this: IExecuteFunctions,
		itemIndex: number,
		run: EverGisRun,
		shared: Shared,
	): Promise<ItemResult>;
	finish?(this: IExecuteFunctions, shared: Shared): Promise<void>;
}
