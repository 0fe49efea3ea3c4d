import { createHash } from 'crypto';
import type { DeduplicationItemTypes, DeduplicationScope, IExecuteFunctions } from 'n8n-workflow';

import { isFailureStatus, isSuccessStatus, isTerminalStatus } from '../../model/statuses';
import { operationError } from '../../shared/nodeErrors';
import { failureOf } from '../../transport/errors';
import type { EverGisRun } from '../../transport/run';
import { getTaskProgress, shownId } from '../../transport/tasks';
import type { WaitOutcome } from '../../transport/waitForTask';

/**
 * Which files have been loaded into a catalog, remembered across executions, so that a nightly run
 * loads only what is new, changed or failed. Upload to Catalog (Skip Files Already Loaded) and Keep
 * New Files share it: every node of a workflow that loads the same catalog on the same host sees
 * the same memory. The rule: **a file whose task was created counts as loaded unless its task is
 * known to have ended other than Completed.** A task whose end no run saw (the node stopped
 * waiting, did not wait, or n8n stopped) is asked by a later run that meets the file.
 *
 * It is kept in two of n8n's places:
 * - n8n's deduplication store (the Remove Duplicates node's), scope 'workflow', entries mode: in
 *   n8n's database, written at once, shared by every process. It keeps only a hash of each entry,
 *   so it can only answer "is this entry there?". Per file key K:
 *     K          a task was created for the file;
 *     claim K    a run claimed the file to load it, and has not created its task yet.
 * - the workflow's static data (`everGisTasksToSettle`): the task ID of each file whose task's end no
 *   run saw, until a run sees it. n8n saves static data when a production execution ends (not after
 *   a manual one, nor when n8n is killed during the run: such a file then counts as loaded).
 */

/** One file as the memory knows it: its key (host, catalog, and content, name and size, or the user's key). */
export interface RememberedFile {
	key: string;
}

/** What the memory says of a file at the start of a run. */
export interface FileState {
	/**
	 * new: not loaded, not being loaded (this run may load it, and holds its claim if it claimed);
	 * loaded: its task was created and did not end other than Completed;
	 * beingLoaded: another run is loading it now, or an earlier run's task has not ended yet.
	 */
	state: 'new' | 'loaded' | 'beingLoaded';
	/** The task that loaded it, or is loading it, when the memory knows it. */
	taskId?: string;
	/** Why it is being loaded (for the skipped item's message). */
	why?: string;
}

export type Forget = 'nothing' | 'all' | 'theseFiles';

export interface LookUpOptions {
	/** Claim the new files for this run (Upload to Catalog); Keep New Files only looks. */
	claim: boolean;
	forget: Forget;
	/** The memory's size, for the hint when a run goes past it. */
	maxEntries: number;
	/**
	 * n8n's store before files were kept per workflow: Upload to Catalog kept them per node. Files
	 * found there count as loaded and move to the workflow's memory.
	 */
	readNodeMemory: boolean;
}

interface PendingTask {
	taskId: string;
	/** When the task was created (ISO). */
	since: string;
}

const STATIC_DATA_FIELD = 'everGisTasksToSettle';
/** A task not settled within this time is no longer asked: its files count as loaded. */
const SETTLE_WITHIN_MS = 90 * 24 * 3600_000;
const SCOPE: DeduplicationScope = 'workflow';

const claimOf = (key: string) => `claim ${key}`;
const unique = <T>(values: T[]): T[] => [...new Set(values)];

/**
 * The claims uploads of this process hold now. n8n loads the package once per process, and a run
 * of this process that holds a claim is in this set until it creates the task or lets the claim go.
 * A claim in the store that no run of this process holds was left by a run that ended without
 * letting it go (n8n was killed mid-upload), or belongs to a run of another process (queue mode):
 * it is taken over.
 */
const claimsHeldHere = new Set<string>();

/**
 * Every call to n8n's store from this process goes through this queue. The store reads and
 * rewrites a whole row per call without a lock, so two calls that overlap lose one's write; one
 * queue per process (n8n loads the package once) covers every execution the process runs. Across
 * processes there is no lock: runs of one workflow should not overlap (README).
 */
let storeQueue: Promise<unknown> = Promise.resolve();

function serially<T>(job: () => Promise<T>): Promise<T> {
	const run = storeQueue.then(job, job);
	storeQueue = run.catch(() => undefined);
	return run;
}

/** The memory as one run uses it. Made by the run's first look-up; passed down to its items. */
export class LoadMemory {
	private readonly pending: Record<string, PendingTask>;
	/** Tasks this run created whose end it has not seen (yet). */
	private readonly unsettled = new Set<string>();

	constructor(
		private readonly run: EverGisRun,
		private readonly context: IExecuteFunctions,
	) {
		const staticData = context.getWorkflowStaticData('global');
		const pending = staticData[STATIC_DATA_FIELD];
		if (!pending || typeof pending !== 'object' || Array.isArray(pending)) {
			staticData[STATIC_DATA_FIELD] = {};
		}
		this.pending = staticData[STATIC_DATA_FIELD] as Record<string, PendingTask>;
	}

	/**
	 * What the memory says of each file, in one store call (two when files are to be forgotten, or
	 * read from the earlier per-node memory). With `claim`, the new files are claimed for this run
	 * in the same call: another run that looks now sees them being loaded. A file whose earlier task
	 * was not seen to end is settled here: its task is asked.
	 */
	async lookUp(files: RememberedFile[], options: LookUpOptions): Promise<Map<string, FileState>> {
		const keys = unique(files.map((file) => file.key));
		if (options.forget === 'all') this.clearPending();
		if (options.forget === 'theseFiles') keys.forEach((key) => this.forgetPending(key));
		const { states, entries } = await this.store('read which files were loaded', async () => {
			if (options.forget === 'all') await this.helpers.clearAllProcessedItems(SCOPE, ENTRIES);
			if (options.forget === 'theseFiles') {
				await this.helpers.removeProcessed([...keys, ...keys.map(claimOf)], SCOPE, ENTRIES);
			}
			const fromNodeMemory = new Set(options.readNodeMemory ? await this.readNodeMemory(keys) : []);
			// The store can only check and record at once: what it recorded and is not wanted is
			// taken out again in the same turn of the queue.
			const answer = await checkAndRecord(this.helpers, [...keys, ...keys.map(claimOf)]);
			const there = new Set(answer.processed.map(String));
			const found = new Map<string, FileState>();
			const unwanted: string[] = [];
			for (const key of keys) {
				const claim = claimOf(key);
				let state: FileState;
				if (there.has(key) || fromNodeMemory.has(key)) state = { state: 'loaded' };
				else if (there.has(claim) && claimsHeldHere.has(claim)) {
					state = { state: 'beingLoaded', why: 'another execution is loading it now' };
				}
				// New; or claimed by a run that is gone (no run of this process holds the claim).
				else state = { state: 'new' };
				found.set(key, state);
				const claimsIt = options.claim && state.state === 'new';
				if (claimsIt) claimsHeldHere.add(claim);
				// What the check recorded and is not wanted: a key (no task yet), a claim not taken.
				if (!there.has(key) && !fromNodeMemory.has(key)) unwanted.push(key);
				if (!there.has(claim) && !claimsIt) unwanted.push(claim);
			}
			if (unwanted.length > 0) await this.helpers.removeProcessed(unwanted, SCOPE, ENTRIES);
			return { states: found, entries: await this.helpers.getProcessedDataCount(SCOPE, ENTRIES) };
		});
		await this.settle(
			keys.filter((key) => states.get(key)?.state === 'loaded' && this.pending[hashOf(key)]),
			states,
			options,
		);
		const toLoad = keys.filter((key) => states.get(key)?.state === 'new').length;
		this.hintWhenFull(entries, toLoad, options);
		return states;
	}

	/**
	 * The task of a file was created: the file counts as loaded from now on, and its claim is let go.
	 * Until the run sees the task end, its ID is kept for a later run to ask.
	 */
	async taskCreated(files: RememberedFile[], taskId: string, maxEntries: number): Promise<void> {
		const keys = unique(files.map((file) => file.key));
		for (const key of keys) this.pending[hashOf(key)] = { taskId, since: new Date().toISOString() };
		this.unsettled.add(taskId);
		try {
			// The claims go first: Remember at Most counts every entry, claims of this run included.
			await this.store('record the task of the files being loaded', async () => {
				await this.helpers.removeProcessed(keys.map(claimOf), SCOPE, ENTRIES);
				await checkAndRecord(this.helpers, keys, maxEntries);
			});
		} catch (error) {
			this.warn(
				`${(error as Error).message}. Task ${shownId(taskId)} was created, but its files are not remembered: a later run may load them again.`,
			);
		} finally {
			keys.forEach((key) => claimsHeldHere.delete(claimOf(key)));
		}
	}

	/**
	 * How the file's task ended, as far as this run saw: Completed → loaded for good; Failed, … or a
	 * task EverGIS does not know → forgotten, so the next run loads the file again; not seen (the
	 * wait timed out or stopped, or the progress could not be read) → kept for a later run to ask.
	 * Never throws: a store failure is logged and shown as a hint.
	 */
	async taskEnded(files: RememberedFile[], outcome: WaitOutcome): Promise<void> {
		const keys = unique(files.map((file) => file.key));
		const verdict = verdictOf(outcome);
		if (verdict === 'unseen') return;
		keys.forEach((key) => {
			const pending = this.pending[hashOf(key)];
			if (pending) this.unsettled.delete(pending.taskId);
			this.forgetPending(key);
		});
		if (verdict === 'loaded') return;
		await this.forget(keys, 'forget the files whose task failed');
	}

	/**
	 * At the end of the run: where n8n will not keep the workflow's static data (a manual run, a
	 * canceled one), the tasks whose end the run did not see cannot be asked by a later run; their
	 * files count as loaded. Says so, with the task IDs.
	 */
	reportUnsettled(): void {
		if (this.unsettled.size === 0) return;
		const canceled = this.run.stopReason === 'canceled';
		if (!canceled && this.context.getMode() !== 'manual') return;
		const ids = [...this.unsettled].map(shownId).join(', ');
		this.warn(
			`This ${canceled ? 'canceled' : 'manual'} run did not see ${this.unsettled.size} task(s) end: ${ids}. ` +
				'n8n keeps no workflow state of such runs, so no later run asks these tasks: their files count as loaded. ' +
				"If one of them fails, load its file again with Options → Forget Earlier Loads → 'These Input Files'.",
		);
	}

	/** The run will not load these files (their item failed, the run stopped): their claims go. */
	async letGo(files: RememberedFile[]): Promise<void> {
		const claims = unique(files.map((file) => claimOf(file.key))).filter((claim) =>
			claimsHeldHere.has(claim),
		);
		if (claims.length === 0) return;
		try {
			await this.store('let go of the files that were not loaded', async () => {
				await this.helpers.removeProcessed(claims, SCOPE, ENTRIES);
			});
		} catch (error) {
			this.warn(
				`${(error as Error).message}. Their claims stay until this n8n process restarts: until then other executions skip them.`,
			);
		} finally {
			claims.forEach((claim) => claimsHeldHere.delete(claim));
		}
	}

	private get helpers() {
		const helpers = this.context.helpers;
		if (typeof helpers.checkProcessedAndRecord !== 'function') {
			throw operationError(
				this.context.getNode(),
				"This n8n has no store for processed items (n8n's deduplication)",
				{
					description:
						'Skip Files Already Loaded and Keep New Files need n8n 1.64 or later. Turn the option off, or update n8n.',
				},
			);
		}
		return helpers;
	}

	/** Files found in the node's own memory (before the memory was per workflow); taken out there. */
	private async readNodeMemory(keys: string[]): Promise<string[]> {
		if ((await this.helpers.getProcessedDataCount('node', ENTRIES)) === 0) return [];
		const answer = await this.helpers.checkProcessedAndRecord(keys, 'node', ENTRIES);
		await this.helpers.removeProcessed(keys, 'node', ENTRIES);
		return answer.processed.map(String);
	}

	/** Asks the tasks of files whose end no run saw, and settles each file by the answer. */
	private async settle(
		keys: string[],
		states: Map<string, FileState>,
		options: LookUpOptions,
	): Promise<void> {
		const byTask = new Map<string, string[]>();
		for (const key of keys) {
			const pending = this.pending[hashOf(key)];
			if (Date.now() - Date.parse(pending.since) > SETTLE_WITHIN_MS) {
				this.forgetPending(key);
				continue;
			}
			byTask.set(pending.taskId, [...(byTask.get(pending.taskId) ?? []), key]);
		}
		const failed: string[] = [];
		await Promise.all(
			[...byTask].map(async ([taskId, taskKeys]) => {
				let status: string;
				try {
					status = (await getTaskProgress(this.run, taskId, { maxAttempts: 1 })).status;
				} catch (error) {
					if (failureOf(error)?.status === 404) status = 'NotFound';
					else {
						const why = `its task ${shownId(taskId)} from an earlier run could not be asked (${(error as Error).message}); the next run asks again`;
						taskKeys.forEach((key) => states.set(key, { state: 'beingLoaded', taskId, why }));
						return;
					}
				}
				if (!isTerminalStatus(status) && status !== 'NotFound') {
					const why = `its task ${shownId(taskId)} from an earlier run is still ${status}`;
					taskKeys.forEach((key) => states.set(key, { state: 'beingLoaded', taskId, why }));
					return;
				}
				taskKeys.forEach((key) => this.forgetPending(key));
				if (isSuccessStatus(status)) {
					taskKeys.forEach((key) => states.set(key, { state: 'loaded', taskId }));
				} else {
					failed.push(...taskKeys);
				}
			}),
		);
		if (failed.length === 0) return;
		// Their task ended other than Completed: the files load again, in this run.
		await this.store('forget the files whose task failed', async () => {
			await this.helpers.removeProcessed(failed, SCOPE, ENTRIES);
			if (options.claim) {
				await checkAndRecord(this.helpers, failed.map(claimOf));
				failed.forEach((key) => claimsHeldHere.add(claimOf(key)));
			}
		});
		failed.forEach((key) => states.set(key, { state: 'new' }));
	}

	private async forget(keys: string[], what: string): Promise<void> {
		try {
			await this.store(what, async () => {
				await this.helpers.removeProcessed(keys, SCOPE, ENTRIES);
			});
		} catch (error) {
			this.warn(
				`${(error as Error).message}. These files stay remembered as loaded although their task failed: ` +
					"run the node once with Options → Forget Earlier Loads → 'These Input Files' to load them again.",
			);
		}
	}

	private forgetPending(key: string): void {
		delete this.pending[hashOf(key)];
	}

	private clearPending(): void {
		for (const field of Object.keys(this.pending)) delete this.pending[field];
	}

	private hintWhenFull(count: number, toRecord: number, options: LookUpOptions): void {
		if (count + toRecord <= options.maxEntries) return;
		this.context.addExecutionHints({
			message:
				`Remember at Most is ${options.maxEntries}, and the workflow remembers ${count} entries with up to ${toRecord} more files to come: ` +
				'the earliest are forgotten, and load again when they show up. Raise Remember at Most above the number of files a run sees.',
			type: 'warning',
			location: 'outputPane',
		});
	}

	private warn(message: string): void {
		this.context.logger.warn(`EverGIS: ${message}`);
		this.context.addExecutionHints({ message, type: 'warning', location: 'outputPane' });
	}

	/** A job on n8n's store, queued, with its errors made clear. */
	private async store<T>(what: string, job: () => Promise<T>): Promise<T> {
		void this.helpers; // an n8n without the store fails here, with its own message
		try {
			return await serially(job);
		} catch (error) {
			throw operationError(
				this.context.getNode(),
				`EverGIS: n8n's memory of loaded files could not ${what}: ${(error as Error)?.message ?? String(error)}`,
				{
					description:
						"The memory is kept in n8n's database (the table processed_data). Check that n8n's database is reachable and the workflow is saved, or turn the option off.",
				},
			);
		}
	}
}

const ENTRIES = { mode: 'entries' } as const;

/**
 * n8n's check-and-record, for entries that are unique. The first call for a workflow inserts its
 * row: another process inserting it at the same moment makes this one fail on the primary key; the
 * row is there then, so the call is made once more.
 */
async function checkAndRecord(
	helpers: IExecuteFunctions['helpers'],
	entries: DeduplicationItemTypes[],
	maxEntries?: number,
) {
	const options = maxEntries === undefined ? ENTRIES : { ...ENTRIES, maxEntries };
	const call = async () => await helpers.checkProcessedAndRecord(entries, SCOPE, options);
	return await call().catch(async (error: unknown) => {
		if (/UNIQUE constraint failed|duplicate key value/i.test(String((error as Error)?.message))) {
			return await call();
		}
		return await Promise.reject(error);
	});
}

/** How a wait's outcome counts for the memory. */
function verdictOf(outcome: WaitOutcome): 'loaded' | 'failed' | 'unseen' {
	if (outcome.ended) {
		if (isSuccessStatus(outcome.progress.status)) return 'loaded';
		return isFailureStatus(outcome.progress.status) ? 'failed' : 'unseen';
	}
	// EverGIS does not know the task (any more): nothing of it is in the catalog.
	return outcome.error && failureOf(outcome.error)?.status === 404 ? 'failed' : 'unseen';
}

/** The static data names a file by a digest of its key (the key holds host and catalog). */
function hashOf(key: string): string {
	return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
