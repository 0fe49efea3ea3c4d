// Messages between the benchmark (parent) and the child process that runs one n8n scenario.

/** catalog: Raster → Upload to Catalog (wait on); buffered: the naive bench-only node. */
export type UploadMode = 'catalog' | 'buffered';

export type Scenario =
	| {
			kind: 'upload';
			mode: UploadMode;
			url: string;
			file: string;
			/** A small file uploaded first, so that the login is done before the measured run. */
			warmFile: string;
			/** catalog only: Skip Files Already Loaded on, matching files this way (bench/alreadyLoaded.ts). */
			skipAlreadyLoaded?: 'content' | 'nameAndSize';
	  }
	| {
			/** File → Upload of one stored file, `rounds` times in this one process (warm login). */
			kind: 'speed';
			url: string;
			file: string;
			warmFile: string;
			rounds: number;
	  }
	| {
			kind: 'batch';
			url: string;
			file: string;
			items: number;
			/** Leave out for the node's default. */
			concurrency?: number;
			wait: boolean;
			pollInterval: number;
	  }
	| { kind: 'sequential'; url: string; file: string; runs: number; pollInterval: number }
	| { kind: 'trigger'; url: string; file: string; tasks: number; finishBeforePoll: number[] };

export interface RunSummary {
	/** Wall time of the measured node's execute(), ms. */
	nodeMs: number;
	/** Wall time of the whole workflow run (engine, file node included), ms. */
	runMs: number;
	items: number;
	/** Output items by their `status` field (or 'ok' when they have none). */
	statuses: Record<string, number>;
	error?: string;
}

export interface TriggerPoll {
	finishedBefore: number;
	/** Tasks the trigger had not yet seen end when this poll started. */
	notSeenEnded: number;
	progressRequests: number;
	otherRequests: number;
	fired: number;
}

export type ScenarioResult =
	| { kind: 'upload'; run: RunSummary }
	| { kind: 'speed'; runs: RunSummary[] }
	| { kind: 'batch'; run: RunSummary }
	| { kind: 'sequential'; runs: RunSummary[] }
	| { kind: 'trigger'; created: RunSummary; polls: TriggerPoll[] };

export type ToChild = { type: 'scenario'; scenario: Scenario } | { type: 'ack' };

export type FromChild =
	| { type: 'node-start' }
	| { type: 'node-end' }
	| { type: 'result'; result: ScenarioResult }
	| { type: 'failed'; message: string };
