import { createHash } from 'node:crypto';

import type {
	DeduplicationItemTypes,
	DeduplicationMode,
	DeduplicationScope,
	ICheckProcessedContextData,
	ICheckProcessedOptions,
	IDataDeduplicator,
	IDeduplicationOutput,
} from 'n8n-workflow';

/**
 * n8n's deduplication store (the one behind `this.helpers.checkProcessedAndRecord` and the Remove
 * Duplicates node) in memory, for the in-process engine. It follows n8n 2.40.7's
 * `DeduplicationHelper` (packages/cli/src/deduplication/deduplication-helper.ts) in 'entries' mode,
 * quirks included, so that the engine tests mean what they would mean in n8n:
 * - one row per workflow and context (`n:<node id>` for scope 'node', '' for 'workflow'), holding
 *   the MD5 (base64) of each value, oldest first; nothing else is kept;
 * - every call reads the row, works on a copy and writes the whole row back, with no lock: a call
 *   that runs between another call's read and write loses (or has lost) its update, as with n8n's
 *   database. `yieldBetweenReadAndWrite` (on by default) puts a turn of the event loop there, as a
 *   database round trip would;
 * - no row yet: every value is new and all are stored, repeated ones twice; two first calls at once
 *   fail as the primary key would (`UNIQUE constraint failed`);
 * - row there: a value repeated within one call is reported new twice and stored twice;
 * - `maxEntries` drops the earliest-recorded entries (seeing an entry again does not refresh it);
 * - `removeProcessed` takes out the first occurrence of each value; a row saved in another mode
 *   is refused, as in n8n.
 * Where it differs: it keeps the rows in this process (not a database), the 'latest' modes are not
 * implemented (the package does not use them), and it counts its calls (for tests).
 *
 * Several n8n processes (queue mode: a main and workers; multi-main) share one database, and each
 * reaches it through its own n8n-core: `process(name)` is this store as another process reaches it,
 * the same rows, its own count of calls and its own failures (a database that one worker cannot
 * reach, a process that was killed and makes no more calls).
 */
export class MemoryDeduplicator implements IDataDeduplicator {
	private readonly processes = new Map<string, MemoryDeduplicator>();
	/** A turn of the event loop between a call's read and its write, like a database round trip. */
	yieldBetweenReadAndWrite = true;
	/** Calls by kind since the last reset. */
	calls = { check: 0, remove: 0, clear: 0, count: 0 };
	/**
	 * Makes calls fail (as a database that is down would): asked before each call with its kind and
	 * its number among calls of that kind (from 1); the error it gives is thrown.
	 */
	failWhen: ((kind: CallKind, count: number) => Error | undefined) | undefined;

	/** `rows`: the database, shared with the other processes' views (see `process`). */
	constructor(
		private readonly rows = new Map<string, { mode: DeduplicationMode; data: string[] }>(),
	) {}

	/** The same store as another n8n process reaches it (made once per name, reset with this one). */
	process(name: string): MemoryDeduplicator {
		let view = this.processes.get(name);
		if (!view) {
			view = new MemoryDeduplicator(this.rows);
			this.processes.set(name, view);
		}
		return view;
	}

	static hash(value: DeduplicationItemTypes): string {
		return createHash('md5').update(value.toString()).digest('base64');
	}

	/** The stored hashes of the workflow's memory (scope 'workflow'), or a node's, oldest first. */
	entries(workflowId: string, nodeId?: string): string[] {
		const context = nodeId === undefined ? '' : `n:${nodeId}`;
		return [...(this.rows.get(rowKey(workflowId, context))?.data ?? [])];
	}

	/** Whether the workflow's memory (or the node's) holds `value`. */
	has(workflowId: string, value: string, nodeId?: string): boolean {
		return this.entries(workflowId, nodeId).includes(MemoryDeduplicator.hash(value));
	}

	/** Empties the database, and resets the calls and failures of this view and every process's. */
	reset(): void {
		this.rows.clear();
		for (const view of [this, ...this.processes.values()]) {
			view.calls = { check: 0, remove: 0, clear: 0, count: 0 };
			view.failWhen = undefined;
			view.yieldBetweenReadAndWrite = true;
		}
	}

	async checkProcessedAndRecord(
		items: DeduplicationItemTypes[],
		scope: DeduplicationScope,
		contextData: ICheckProcessedContextData,
		options: ICheckProcessedOptions,
	): Promise<IDeduplicationOutput> {
		this.calls.check++;
		this.failIfAsked('check');
		if (options.mode !== 'entries') throw new Error('MemoryDeduplicator: only the entries mode');
		const key = this.keyOf(scope, contextData);
		const stored = this.read(key);
		if (stored && stored.mode !== options.mode) throw incompatibleMode();
		await this.roundTrip();
		const hashed = items.map((item) => MemoryDeduplicator.hash(item));
		if (!stored) {
			if (options.maxEntries) hashed.splice(0, hashed.length - options.maxEntries);
			if (this.rows.has(key)) {
				throw new Error(
					'SQLITE_CONSTRAINT: UNIQUE constraint failed: processed_data.workflowId, processed_data.context',
				);
			}
			this.rows.set(key, { mode: options.mode, data: hashed });
			return { new: [...items], processed: [] };
		}
		const output: IDeduplicationOutput = { new: [], processed: [] };
		const seen = new Set(stored.data);
		hashed.forEach((hash, index) => {
			if (seen.has(hash)) {
				output.processed.push(items[index]);
			} else {
				output.new.push(items[index]);
				stored.data.push(hash);
			}
		});
		if (options.maxEntries) {
			stored.data.splice(0, stored.data.length - options.maxEntries);
		}
		this.write(key, stored);
		return output;
	}

	async removeProcessed(
		items: DeduplicationItemTypes[],
		scope: DeduplicationScope,
		contextData: ICheckProcessedContextData,
		options: ICheckProcessedOptions,
	): Promise<void> {
		this.calls.remove++;
		this.failIfAsked('remove');
		if (options.mode !== 'entries') throw new Error('MemoryDeduplicator: only the entries mode');
		const key = this.keyOf(scope, contextData);
		const stored = this.read(key);
		if (!stored) return;
		await this.roundTrip();
		for (const item of items) {
			const index = stored.data.indexOf(MemoryDeduplicator.hash(item));
			if (index !== -1) stored.data.splice(index, 1);
		}
		this.write(key, stored);
	}

	async clearAllProcessedItems(
		scope: DeduplicationScope,
		contextData: ICheckProcessedContextData,
	): Promise<void> {
		this.calls.clear++;
		this.failIfAsked('clear');
		this.rows.delete(this.keyOf(scope, contextData));
	}

	async getProcessedDataCount(
		scope: DeduplicationScope,
		contextData: ICheckProcessedContextData,
		options: ICheckProcessedOptions,
	): Promise<number> {
		this.calls.count++;
		this.failIfAsked('count');
		const stored = this.read(this.keyOf(scope, contextData));
		return options.mode === 'entries' && stored ? stored.data.length : 0;
	}

	private keyOf(scope: DeduplicationScope, contextData: ICheckProcessedContextData): string {
		if (!contextData.workflow.id) throw new Error('The workflow has no ID');
		if (scope === 'node') {
			if (!contextData.node) {
				throw new Error("No node information has been provided and so cannot use scope 'node'");
			}
			return rowKey(contextData.workflow.id, `n:${contextData.node.id}`);
		}
		return rowKey(contextData.workflow.id, '');
	}

	/** A copy of the row, as a database read gives. */
	private read(key: string) {
		const row = this.rows.get(key);
		return row ? { mode: row.mode, data: [...row.data] } : undefined;
	}

	/** n8n's `update … where`: a row deleted meanwhile stays deleted. */
	private write(key: string, row: { mode: DeduplicationMode; data: string[] }) {
		if (this.rows.has(key)) this.rows.set(key, row);
	}

	private async roundTrip() {
		if (this.yieldBetweenReadAndWrite) await new Promise((resolve) => setImmediate(resolve));
	}

	private failIfAsked(kind: CallKind) {
		const error = this.failWhen?.(kind, this.calls[kind]);
		if (error) throw error;
	}
}

type CallKind = 'check' | 'remove' | 'clear' | 'count';

function rowKey(workflowId: string, context: string): string {
	return `${workflowId}\u0000${context}`;
}

function incompatibleMode(): Error {
	return new Error(
		'Deduplication data was originally saved with an incompatible setting of the ‘Keep Items Where’ parameter. Try ’Clean Database’ operation to reset.',
	);
}
