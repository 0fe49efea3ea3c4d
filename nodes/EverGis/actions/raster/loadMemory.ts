import { createHash } from 'crypto';
import type { DeduplicationItemTypes, DeduplicationScope, IExecuteFunctions } from 'n8n-workflow';

import { isFailureStatus, isSuccessStatus, isTerminalStatus } from '../../model/statuses';
import { operationError } from '../../shared/nodeErrors';
import { pause } from '../../shared/pause';
import { failureOf, taskMayExist } from '../../transport/errors';
import type { EverGisRun } from '../../transport/run';
import { getTaskProgress, shownId } from '../../transport/tasks';
import type { WaitOutcome } from '../../transport/waitForTask';

/**
 * The life of a file in the workflow's memory of loaded files, in one place: which files have been
 * loaded into a catalog, which a run is loading now, and which no run knows about for sure. Upload
 * to Catalog (Skip Files Already Loaded), Keep New Files and Mark as Loaded share it: every node of
 * a workflow that loads the same catalog on the same host sees the same memory. The rule: a file
 * whose task was created counts as loaded unless EverGIS said that its task ended other than
 * Completed; no file is loaded twice, and a file that may be missing is named in an item.
 *
 * Where it is kept
 *
 *   n8n's deduplication store (scope 'workflow', entries mode; the processed_data table): written
 *   at once and shared by every n8n process, but it keeps only an MD5 of each entry, and its only
 *   question, "is this entry there?", records the entry as it asks. Per file key K:
 *     K             the file counts as loaded: its task was created (or may have been), or a user
 *                   marked it; a look-up also records it for a moment while it claims the file
 *     claim K       the file's memory is not final: a run is loading it, its task's end has not been
 *                   seen yet (the task is in the static data below), or a run stopped before saying
 *     lease K <b>   the run that holds `claim K` is alive: b is a LEASE.bucketMs (5-minute) period of
 *                   the clock; a look-up reads the lease as live when the entry of the current or the
 *                   next period is there; the holder renews it every minute
 *   The workflow's static data, `everGisTasksToSettle[sha256(K)]` = { since, taskId | mayExist |
 *   notLoaded }: a task whose end no run has seen (a later run asks it); a task creation that may
 *   have created the task; a file a look-up recorded and could not take back. n8n saves it only
 *   when a production execution ends, and n8n 2.x's queue workers start without it, so a record can
 *   be missing: `claim K` without a record then says so.
 *
 * What a look-up reads, and what the file is for the run (K, claim K, a live lease, the record):
 *
 *   K  claim  lease  record     the file is
 *   -  -      -      -          new: a claiming run now holds it (claim K and its lease)
 *   -  +      live   -          being loaded by another run
 *   -  +      gone   -          new: the run that claimed it stopped (its lease lapsed); taken over
 *   +  -      -      -          loaded
 *   ·  ·      live   ·          being loaded (another run holds it, or settles it)
 *   ·  ·      gone   taskId     settled now: EverGIS is asked; Completed: loaded; ended otherwise:
 *                               new (loaded again by this run); running: being loaded; a task
 *                               EverGIS does not show (404): uncertain (asked again next run)
 *   +  ·      gone   mayExist   uncertain: counts as loaded, the item says so once
 *   ·  ·      gone   notLoaded  new
 *   +  +      gone   -          uncertain: counts as loaded, the item says so once
 *
 * A run's transitions, each a method below: lookUp (claims, in its first store call), take (the
 * first item of the run that has the file loads it), taskCreated, taskMayExist, taskEnded, letGo,
 * finish (always). A claim is taken in one place (lookUp) and ends in one (letGoOf). A failed
 * store call is tried again; what still cannot be taken back either lapses by itself (a lease) or
 * is named by the next run that meets the file (claim K: "uncertain"), and the run's output says so.
 */

/** What a run does with the files it looks up. */
export type Purpose =
	/** Upload to Catalog: claims the new files to load them. */
	| 'load'
	/** Keep New Files: only looks; leaves the memory as it was (but settles earlier tasks). */
	| 'look'
	/** Mark as Loaded: records the files as loaded without loading them. */
	| 'mark';

/**
 * What the memory says of a file for this run. new: not loaded, not being loaded (this run loads
 * it; Upload to Catalog holds its claim); loaded: its task was created and did not end other than
 * Completed, or a user marked it; beingLoaded: another run is loading it now, or an earlier run's
 * task has not ended yet; uncertain: it counts as loaded, but no run knows that it was (`why`).
 */
export interface FileState {
	state: 'new' | 'loaded' | 'beingLoaded' | 'uncertain';
	/** The task that loaded it, or is loading it, when the memory knows it. */
	taskId?: string;
	/** Why it is being loaded, or uncertain (for the item's message). */
	why?: string;
}

export type Forget = 'nothing' | 'all' | 'theseFiles';

export interface LookUpOptions {
	forget: Forget;
	/** Remember at Most: for the hint when a run goes past it, and for what Mark as Loaded records. */
	maxEntries: number;
	/**
	 * n8n's store before files were kept per workflow: Upload to Catalog kept them per node. Files
	 * found there count as loaded and move to the workflow's memory.
	 */
	readNodeMemory: boolean;
}

/** One file's record in the workflow's static data. */
interface SettleRecord {
	/** When it was made (ISO). */
	since: string;
	/** A task whose end no run has seen. */
	taskId?: string;
	/** A task creation that may have created the task: what EverGIS answered. */
	mayExist?: string;
	/** A look-up recorded the file as loaded and could not take it back: it is not loaded. */
	notLoaded?: boolean;
}

/**
 * The lease's clock and periods. A run that holds a claim renews its lease every `renewEveryMs`
 * while it runs (an upload of hours included); a run that stopped renewing (n8n killed) loses it
 * `bucketMs` to 2 × `bucketMs` after its last renewal: 5 to 10 minutes. A reader's clock may be up
 * to `bucketMs` (5 minutes) behind the holder's, or `bucketMs` − `renewEveryMs` (4 minutes) ahead,
 * before a live lease could be read as lapsed (test/unit/raster/lease.test.ts). Tests move `now`.
 */
export const LEASE = {
	bucketMs: 5 * 60_000,
	renewEveryMs: 60_000,
	now: (): number => Date.now(),
};

/** The records of the static data: at most this many (the oldest go first), none older than this. */
export const RECORDS = {
	max: 2_000,
	maxAgeMs: 30 * 24 * 3600_000,
};

const STATIC_DATA_FIELD = 'everGisTasksToSettle';
const SCOPE: DeduplicationScope = 'workflow';
const ENTRIES = { mode: 'entries' } as const;
/** A store call that takes something back is tried this many times in all, a moment apart. */
const STORE_ATTEMPTS = 3;

const claimOf = (key: string) => `claim ${key}`;
const leaseOf = (key: string, bucket: number) => `lease ${key} ${bucket}`;
const unique = <T>(values: T[]): T[] => [...new Set(values)];

/** The lease period a moment falls in. */
export function bucketAt(ms: number): number {
	return Math.floor(ms / LEASE.bucketMs);
}

/**
 * The entries a look-up checks for a file's lease at `ms`, the current period and the next: the
 * lease is live if one is there (a holder whose clock is ahead has the next). A claiming look-up
 * records both, and so holds the lease.
 */
export function leaseEntries(key: string, ms: number): string[] {
	const bucket = bucketAt(ms);
	return [leaseOf(key, bucket), leaseOf(key, bucket + 1)];
}

/**
 * A renewal at `ms` of a lease held in `periods`: the current and the next period are (re)recorded,
 * the one before stays (for a reader whose clock is behind), earlier ones go.
 */
export function renewedPeriods(
	periods: number[],
	ms: number,
): { kept: number[]; dropped: number[] } {
	const bucket = bucketAt(ms);
	const all = [...new Set([...periods, bucket, bucket + 1])].sort((a, b) => a - b);
	return {
		kept: all.filter((period) => period >= bucket - 1),
		dropped: all.filter((period) => period < bucket - 1),
	};
}

/**
 * Every call to n8n's store from this process goes through this queue. The store reads and
 * rewrites a whole row per call without a lock, so two calls that overlap lose one's write; one
 * queue per process (n8n loads the package once) covers every execution the process runs. It
 * holds only the promise of the last call. Across processes there is no lock: see the lease.
 */
let storeQueue: Promise<unknown> = Promise.resolve();

function serially<T>(job: () => Promise<T>): Promise<T> {
	const run = storeQueue.then(job, job);
	storeQueue = run.catch(() => undefined);
	return run;
}

/** What a look-up found of a file in n8n's store and the static data. */
interface Found {
	/** K was there (or in the node's own memory of earlier versions). */
	loaded: boolean;
	/** claim K was there. */
	claimed: boolean;
	/** A lease of another run was live (looked at only where it matters). */
	live: boolean;
	record?: SettleRecord;
}

/** The table at the top: what the entries found say of a file. */
type Reading = 'new' | 'loaded' | 'beingLoaded' | 'settle' | 'mayExist' | 'unknown';

export function readingOf(found: Found): Reading {
	if (found.live) return 'beingLoaded';
	if (found.record?.taskId) return 'settle';
	if (found.record?.mayExist) return 'mayExist';
	if (found.record?.notLoaded || !found.loaded) return 'new';
	return found.claimed ? 'unknown' : 'loaded';
}

/** Whether the look-up reads (and so records) the file's lease: only where a run may hold it. */
function leaseMatters(found: Found, purpose: Purpose): boolean {
	if (found.claimed || found.record !== undefined) return true;
	return !found.loaded && purpose === 'load';
}

/** What this run knows and holds of one file. */
interface FileLife {
	key: string;
	state: FileState;
	/** This run holds the file's claim (claim K is its own, and it keeps the lease alive). */
	held: boolean;
	/** The lease periods this run recorded for the file. */
	leases: Set<number>;
	/** What this run recorded and does not mean to keep (yet): taken back by `takeBack`. */
	toTakeBack: Set<string>;
	/** An item of this run took the file to load it. */
	taken: boolean;
	/** Its task, once created. */
	taskId?: string;
	/** How its load ended in this run, as far as the run saw. */
	ending?: 'loaded' | 'failed' | 'unsettled' | 'mayExist' | 'letGo';
	/** What the failed task creation answered, when it may have created the task. */
	mayExist?: string;
	/** The static data's record: as found, then as the run leaves it. */
	record?: SettleRecord;
	recordChanged: boolean;
}

/**
 * The memory as one run uses it: made where the run starts (the operation's `start`), filled by the
 * run's one look-up, told by the items what happened, ended by `finish` however the run ended.
 */
export class LoadMemory {
	private readonly files = new Map<string, FileLife>();
	private records?: Record<string, SettleRecord>;
	private renewing?: Promise<void>;
	private readonly stopRenewing = new AbortController();
	private warnedRenewal = false;
	/** Files whose K this run recorded to keep (task created, may exist, marked): checked at the end. */
	private readonly recordedLoaded = new Set<string>();
	private maxEntries = Number.POSITIVE_INFINITY;

	constructor(
		private readonly run: EverGisRun,
		private readonly context: IExecuteFunctions,
		readonly purpose: Purpose,
	) {}

	/**
	 * The look-up of the run's files, the one place where files are claimed: one store job checks K
	 * and claim K of every file, then the lease of the files where a run may hold one (for a claiming
	 * run, this check is its claim); then EverGIS is asked the tasks of earlier runs; then the run
	 * decides what each file is (the table at the top) and takes back what it does not keep.
	 */
	async lookUp(keys: string[], options: LookUpOptions): Promise<void> {
		this.maxEntries = options.maxEntries;
		const all = unique(keys);
		let remembered = 0;
		const found = await this.store('read which files were loaded', async () => {
			await this.forget(all, options.forget);
			const fromNodeMemory = new Set(options.readNodeMemory ? await this.readNodeMemory(all) : []);
			if (this.purpose !== 'look') {
				remembered = await this.helpers.getProcessedDataCount(SCOPE, ENTRIES);
			}
			const first = await this.checkAndRecord(all.flatMap((key) => [key, claimOf(key)]));
			const there = new Set(first.processed.map(String));
			const findings = new Map<string, Found>();
			for (const key of all) {
				const life = this.lifeOf(key);
				life.record = this.recordOf(key);
				// K found in the node's own memory moves to the workflow's: it is kept.
				if (!there.has(key) && !fromNodeMemory.has(key)) life.toTakeBack.add(key);
				if (!there.has(claimOf(key))) life.toTakeBack.add(claimOf(key));
				findings.set(key, {
					loaded: there.has(key) || fromNodeMemory.has(key),
					claimed: there.has(claimOf(key)),
					live: false,
					record: life.record,
				});
			}
			const leased = all.filter((key) => leaseMatters(findings.get(key) as Found, this.purpose));
			const now = LEASE.now();
			const second =
				leased.length > 0
					? await this.checkAndRecord(leased.flatMap((key) => leaseEntries(key, now)))
					: undefined;
			const live = new Set(second?.processed.map(String) ?? []);
			for (const key of leased) {
				const life = this.lifeOf(key);
				leaseEntries(key, now).forEach((entry, index) => {
					if (live.has(entry)) (findings.get(key) as Found).live = true;
					else {
						life.leases.add(bucketAt(now) + index);
						life.toTakeBack.add(entry);
					}
				});
			}
			// Every file that needs no word from EverGIS is decided now, and what the run does not
			// keep is taken back in this same store job: a K this look-up recorded must not outlive
			// it, or it could be taken back after another run of this process recorded it for a task.
			const decided = all.filter((key) => !this.needsEverGis(findings.get(key) as Found));
			for (const key of decided)
				this.decide(this.lifeOf(key), readingOf(findings.get(key) as Found));
			const entries = unique(decided.flatMap((key) => [...this.lifeOf(key).toTakeBack]));
			if (entries.length > 0) {
				await this.helpers.removeProcessed(entries, SCOPE, ENTRIES).then(
					() => decided.forEach((key) => this.lifeOf(key).toTakeBack.clear()),
					() => undefined, // taken back below, tried again
				);
			}
			return findings;
		});
		const toAsk = all.filter((key) => this.needsEverGis(found.get(key) as Found));
		const settled = await this.settle(toAsk);
		for (const key of toAsk) {
			this.decide(this.lifeOf(key), 'settle', settled.get(key));
		}
		await this.takeBack(all, 'take back what the look-up recorded');
		const uncertain = all.filter((key) => this.stateOf(key).state === 'uncertain').length;
		if (uncertain > 0) {
			this.warn(
				`${uncertain} file(s) count as loaded although no run knows that they were: their items say why (reason "uncertain"). ` +
					"Check the catalog: a missing file loads again with Upload to Catalog's Options → Forget Earlier Loads → 'These Input Files'.",
			);
		}
		if (this.purpose !== 'look') {
			this.hintWhenFull(remembered, all.filter((key) => this.stateOf(key).state === 'new').length);
		}
		if (this.purpose === 'load' && all.some((key) => this.lifeOf(key).held)) {
			this.renewing = this.keepLeasesAlive();
		}
	}

	/** Whether the file's state waits for EverGIS's word on its earlier task (Mark as Loaded's never). */
	private needsEverGis(found: Found): boolean {
		return this.purpose !== 'mark' && readingOf(found) === 'settle';
	}

	/** What the memory says of a file for this run (after the look-up). */
	stateOf(key: string): FileState {
		return this.files.get(key)?.state ?? { state: 'new' };
	}

	/**
	 * An item of this run takes a file to load it (transition: claimed → taken). The first item to ask
	 * takes a new file; a copy of it in a later item is being loaded by another item of this run.
	 */
	take(key: string): FileState {
		const life = this.files.get(key);
		if (!life || life.state.state !== 'new') return this.stateOf(key);
		if (life.taken) {
			return { state: 'beingLoaded', why: 'another item of this execution loads the same file' };
		}
		life.taken = true;
		return life.state;
	}

	/**
	 * Its task was created (transition: taken → task created): the file counts as loaded from now on.
	 * Its claim and lease stay until the run sees the task end, or ends: another run that looks now
	 * sees it being loaded, and a later run asks the task if this one does not see it end.
	 */
	async taskCreated(keys: string[], taskId: string): Promise<void> {
		const lives = this.livesOf(keys);
		for (const life of lives) {
			life.taskId = taskId;
			life.ending = 'unsettled';
			this.nowLoaded(life);
		}
		await this.recordLoaded(lives, `record the files of task ${shownId(taskId)}`);
	}

	/**
	 * Its task creation failed in a way that may have created the task (transition: taken → may
	 * exist): a 5xx or no answer after EverGIS received the request. There is no task ID to ask, so the
	 * file counts as loaded (never twice), and the next run that meets it says it may be missing.
	 */
	async taskMayExist(keys: string[], error: unknown): Promise<void> {
		const lives = this.livesOf(keys);
		const said = ((error as Error)?.message ?? String(error)).slice(0, 300);
		for (const life of lives) {
			life.ending = 'mayExist';
			life.mayExist = said;
			this.nowLoaded(life);
		}
		await this.recordLoaded(lives, 'record the files whose task may exist');
	}

	/**
	 * How its task ended, as far as this run saw (transition: task created → loaded, or → new again).
	 * Completed: loaded. Failed, Canceled, …: forgotten at once, so the next run loads it again. Not
	 * seen (the wait timed out or stopped, EverGIS did not show the task): a later run asks it. Never
	 * throws: a store failure is a hint, and tried again at the end of the run.
	 */
	async taskEnded(keys: string[], outcome: WaitOutcome): Promise<void> {
		if (!outcome.ended) return;
		const lives = this.livesOf(keys);
		if (isSuccessStatus(outcome.progress.status)) {
			for (const life of lives) life.ending = 'loaded';
			return;
		}
		if (!isFailureStatus(outcome.progress.status)) return;
		for (const life of lives) {
			life.ending = 'failed';
			this.recordedLoaded.delete(life.key);
			life.toTakeBack.add(life.key);
			this.letGoOf(life);
		}
		await this.takeBack(
			lives.map((life) => life.key),
			'forget the files whose task failed',
		);
	}

	/**
	 * The run will not load these files (their item failed before their task was created): transition
	 * taken → new. Their claim goes at once; if n8n's store cannot take it back, its lease lapses
	 * within 10 minutes and a later run loads the file.
	 */
	async letGo(keys: string[]): Promise<void> {
		const lives = this.livesOf(keys).filter((life) => life.held && life.ending === undefined);
		for (const life of lives) this.letGoOf(life);
		await this.takeBack(
			lives.map((life) => life.key),
			'let go of the files that were not loaded',
		);
	}

	/**
	 * The end of the run, however it ended: stops renewing the leases, lets go of the files that no
	 * item loaded, takes back what is left to take back, checks that the files it loaded are
	 * remembered, keeps what a later run must know in the static data, and says what n8n will not keep.
	 */
	async finish(): Promise<void> {
		this.stopRenewing.abort();
		await this.renewing;
		for (const life of this.files.values()) this.letGoOf(life);
		await this.takeBack([...this.files.keys()], 'take back what the run held');
		// After the claims are gone: Remember at Most counts every entry, and drops the earliest.
		await this.recordAgain();
		this.keepRecords();
		this.reportUnkept();
	}

	/**
	 * The one place where a claim this run holds ends: when its item lets the file go, when its task
	 * failed, and at the end of the run. A task whose end the run did not see, or that may exist,
	 * keeps claim K (the memory of the file is not final) and gets a record for a later run; for
	 * everything else the claim goes. Its lease goes in every case.
	 */
	private letGoOf(life: FileLife): void {
		if (!life.held) return;
		if (life.ending === 'unsettled' || life.ending === 'mayExist') {
			for (const bucket of life.leases) life.toTakeBack.add(leaseOf(life.key, bucket));
			life.held = false;
			this.setRecord(life, {
				since: new Date(LEASE.now()).toISOString(),
				...(life.ending === 'unsettled' ? { taskId: life.taskId } : { mayExist: life.mayExist }),
			});
			return;
		}
		life.ending ??= 'letGo';
		this.takeBackClaim(life);
	}

	/** The entries of a claim this run holds, to take back. */
	private takeBackClaim(life: FileLife): void {
		life.toTakeBack.add(claimOf(life.key));
		for (const bucket of life.leases) life.toTakeBack.add(leaseOf(life.key, bucket));
		life.held = false;
	}

	/**
	 * What the run does with a file once the look-up has read it (and EverGIS was asked its earlier
	 * task): its state for the items, what it keeps of what it recorded, and its record.
	 */
	private decide(life: FileLife, reading: Reading, settled?: FileState): void {
		const keep = (entry: string) => life.toTakeBack.delete(entry);
		if (this.purpose === 'mark') {
			if (reading === 'beingLoaded') life.state = stateOf(reading, life.record);
			else if (reading === 'loaded') life.state = { state: 'loaded' };
			else {
				// Marked now: K stays (recorded again with Remember at Most at the end), the rest goes.
				life.state = { state: 'new' };
				this.nowLoaded(life);
				life.toTakeBack.add(claimOf(life.key));
				if (life.record) this.setRecord(life, undefined);
			}
			return;
		}
		const state = settled ?? stateOf(reading, life.record);
		life.state = state;
		if (state.state === 'new') {
			// Not loaded: K goes (the look-up's, or one a record says is wrong), so does a record.
			const repaired = reading !== 'new' || life.record?.notLoaded === true;
			life.toTakeBack.add(life.key);
			if (life.record) this.setRecord(life, undefined);
			if (this.purpose === 'load') {
				keep(claimOf(life.key));
				for (const bucket of life.leases) keep(leaseOf(life.key, bucket));
				life.held = true;
			} else if (repaired) {
				// Keep New Files takes back the claim of a file it settled or repaired (not a claim it found).
				life.toTakeBack.add(claimOf(life.key));
			}
			return;
		}
		if (reading === 'settle') {
			// K stays (its task exists). Settled (Completed): claim K and the record go. Not settled
			// (still running, not asked, not shown): they stay for the next run.
			keep(life.key);
			if (state.state === 'loaded') {
				life.toTakeBack.add(claimOf(life.key));
				this.setRecord(life, undefined);
			} else keep(claimOf(life.key));
			return;
		}
		if (state.state === 'uncertain') {
			// Told once: from now on the file counts as loaded.
			keep(life.key);
			life.toTakeBack.add(claimOf(life.key));
			if (life.record) this.setRecord(life, undefined);
		}
	}

	/** Asks EverGIS the earlier tasks of these files, once per task: how each file stands now. */
	private async settle(keys: string[]): Promise<Map<string, FileState>> {
		const byTask = new Map<string, string[]>();
		for (const key of keys) {
			const taskId = this.lifeOf(key).record?.taskId as string;
			byTask.set(taskId, [...(byTask.get(taskId) ?? []), key]);
		}
		const states = new Map<string, FileState>();
		await Promise.all(
			[...byTask].map(async ([taskId, taskKeys]) => {
				const state = await this.askEnd(taskId);
				for (const key of taskKeys) states.set(key, state);
			}),
		);
		return states;
	}

	/** How an earlier run's task ended: only EverGIS's word makes the file loaded, or new again. */
	private async askEnd(taskId: string): Promise<FileState> {
		const id = shownId(taskId);
		let status: string;
		try {
			status = (await getTaskProgress(this.run, taskId, { maxAttempts: 1 })).status;
		} catch (error) {
			const why = (error as Error).message;
			if (failureOf(error)?.status === 404) {
				return {
					state: 'uncertain',
					taskId,
					why:
						`EverGIS does not show its task ${id} from an earlier run (${why}): the credentials may belong to ` +
						'another EverGIS user than the one who created it (EverGIS shows a user only their own tasks), or EverGIS deleted old tasks; the next run asks again',
				};
			}
			return {
				state: 'beingLoaded',
				taskId,
				why: `its task ${id} from an earlier run could not be asked (${why}); the next run asks again`,
			};
		}
		if (isSuccessStatus(status)) return { state: 'loaded', taskId };
		if (isTerminalStatus(status)) return { state: 'new' };
		return {
			state: 'beingLoaded',
			taskId,
			why: `its task ${id} from an earlier run is still ${status}`,
		};
	}

	/**
	 * The file counts as loaded from now on: its K is kept (a look-up's K that could not be taken
	 * back is right now), and checked again at the end of the run.
	 */
	private nowLoaded(life: FileLife): void {
		life.toTakeBack.delete(life.key);
		if (life.record?.notLoaded) this.setRecord(life, undefined);
		this.recordedLoaded.add(life.key);
	}

	/**
	 * Records K of files that now count as loaded; if that fails, the end of the run tries again.
	 * Remember at Most is applied at the end of the run, once its claims and leases are gone: n8n drops
	 * the earliest entries, which during the run may be this run's own claims.
	 */
	private async recordLoaded(lives: FileLife[], what: string): Promise<void> {
		try {
			await this.store(what, async () => await this.checkAndRecord(lives.map((life) => life.key)));
		} catch (error) {
			this.warn(`${(error as Error).message}. The node tries again at the end of the run.`);
		}
	}

	/**
	 * Takes back, in one store call (tried again a moment later), what the run recorded of these
	 * files and does not keep. What still cannot be taken back: a lease lapses by itself; a K recorded
	 * for a file that is not loaded is noted in the static data, for the next production run to take
	 * back; a claim K makes the next run that meets the file say "uncertain". The run's output says so.
	 */
	private async takeBack(keys: string[], what: string): Promise<void> {
		const lives = this.livesOf(keys).filter((life) => life.toTakeBack.size > 0);
		const entries = unique(lives.flatMap((life) => [...life.toTakeBack]));
		if (entries.length === 0) return;
		try {
			await this.store(
				what,
				async () => await this.helpers.removeProcessed(entries, SCOPE, ENTRIES),
				STORE_ATTEMPTS,
			);
			for (const life of lives) life.toTakeBack.clear();
		} catch (error) {
			const notLoaded = lives.filter((life) => life.toTakeBack.has(life.key));
			for (const life of notLoaded) {
				this.setRecord(life, { since: new Date(LEASE.now()).toISOString(), notLoaded: true });
			}
			this.warn(
				`${(error as Error).message}. ` +
					(notLoaded.length > 0
						? `${notLoaded.length} file(s) that are not loaded stay marked as loaded until the next production run of this workflow takes the mark back; after a manual run, the next run that meets them says 'uncertain'.`
						: "The entries left lapse within 10 minutes, or the next run that meets these files says 'uncertain'."),
			);
		}
	}

	/**
	 * Checks once more, at the end, that n8n's store holds the K of every file this run loaded or
	 * marked: another n8n process writing the workflow's row at the same moment can drop a write (n8n
	 * rewrites the whole row, without a lock). A K that is missing is recorded again by the check, and
	 * Remember at Most is applied (n8n drops the earliest entries past it, after the check).
	 */
	private async recordAgain(): Promise<void> {
		const keys = [...this.recordedLoaded];
		if (keys.length === 0) return;
		try {
			const answer = await this.store(
				'record the loaded files',
				async () => await this.checkAndRecord(keys, this.maxEntries),
				STORE_ATTEMPTS,
			);
			if (answer.new.length > 0 && this.purpose !== 'mark') {
				this.warn(
					`n8n's memory of loaded files was missing ${answer.new.length} file(s) this run loaded (a failed call, or another n8n process writing at the same moment): they are recorded now.`,
				);
			}
		} catch (error) {
			this.warn(
				`${(error as Error).message}. ${keys.length} file(s) this run loaded or marked may not be remembered: a later run may load them again.`,
			);
		}
	}

	/** Renews the leases of the files this run holds, every LEASE.renewEveryMs, until the run ends. */
	private async keepLeasesAlive(): Promise<void> {
		for (;;) {
			try {
				await pause(LEASE.renewEveryMs, this.stopRenewing.signal);
			} catch {
				return;
			}
			await this.renew().catch((error: unknown) => {
				if (this.warnedRenewal) return;
				this.warnedRenewal = true;
				this.warn(
					`${(error as Error).message}. While n8n's store cannot be written, the claims of this run's files lapse after 5 to 10 minutes, and another execution may then load them too.`,
				);
			});
		}
	}

	/** One renewal: the current and next period's lease of every file held; earlier periods go. */
	private async renew(): Promise<void> {
		const held = [...this.files.values()].filter((life) => life.held);
		if (held.length === 0) return;
		const now = LEASE.now();
		await this.store('renew the claims of the files being loaded', async () => {
			await this.checkAndRecord(held.flatMap((life) => leaseEntries(life.key, now)));
			const old: string[] = [];
			for (const life of held) {
				const { kept, dropped } = renewedPeriods([...life.leases], now);
				life.leases = new Set(kept);
				old.push(...dropped.map((period) => leaseOf(life.key, period)));
			}
			if (old.length > 0) await this.helpers.removeProcessed(old, SCOPE, ENTRIES);
		});
	}

	/** Forget Earlier Loads, at the start of the look-up's store job. */
	private async forget(keys: string[], forget: Forget): Promise<void> {
		if (forget === 'all') {
			await this.helpers.clearAllProcessedItems(SCOPE, ENTRIES);
			const records = this.staticRecords(false);
			for (const field of Object.keys(records ?? {})) delete records?.[field];
		}
		if (forget === 'theseFiles') {
			await this.helpers.removeProcessed(
				keys.flatMap((key) => [key, claimOf(key)]),
				SCOPE,
				ENTRIES,
			);
			const records = this.staticRecords(false);
			for (const key of keys) if (records?.[hashOf(key)]) delete records[hashOf(key)];
		}
	}

	/** Files found in the node's own memory (before the memory was per workflow); taken out there. */
	private async readNodeMemory(keys: string[]): Promise<string[]> {
		if ((await this.helpers.getProcessedDataCount('node', ENTRIES)) === 0) return [];
		const answer = await this.helpers.checkProcessedAndRecord(keys, 'node', ENTRIES);
		await this.helpers.removeProcessed(keys, 'node', ENTRIES);
		return answer.processed.map(String);
	}

	private recordOf(key: string): SettleRecord | undefined {
		const record = this.staticRecords(false)?.[hashOf(key)];
		return record && typeof record === 'object' && typeof record.since === 'string'
			? { ...record }
			: undefined;
	}

	private setRecord(life: FileLife, record: SettleRecord | undefined): void {
		life.record = record;
		life.recordChanged = true;
	}

	/**
	 * Writes the records that changed into the static data, then bounds them (RECORDS: none older
	 * than 30 days, at most 2,000, the oldest going first). The static data is touched only when
	 * something changes: n8n saves it, whole, after a production run that changed it.
	 */
	private keepRecords(): void {
		for (const life of this.files.values()) {
			if (!life.recordChanged) continue;
			const field = hashOf(life.key);
			if (life.record) this.staticRecords(true)[field] = stripped(life.record);
			else if (this.staticRecords(false)?.[field]) delete this.staticRecords(true)[field];
		}
		const records = this.staticRecords(false);
		if (!records) return;
		const oldestFirst = Object.keys(records).sort((a, b) =>
			String(records[a]?.since).localeCompare(String(records[b]?.since)),
		);
		const tooOld = LEASE.now() - RECORDS.maxAgeMs;
		oldestFirst.forEach((field, index) => {
			const since = Date.parse(String(records[field]?.since));
			if (index < oldestFirst.length - RECORDS.max || !(since >= tooOld)) delete records[field];
		});
	}

	/**
	 * Where n8n will not keep the workflow's static data (a manual run, a canceled one), the records
	 * this run made are lost: says so, with the task IDs. The next run that meets such a file says
	 * "uncertain" (its claim K is there, its record is not).
	 */
	private reportUnkept(): void {
		const made = [...this.files.values()].filter((life) => life.recordChanged && life.record);
		if (made.length === 0) return;
		const canceled = this.run.stopReason === 'canceled';
		if (!canceled && this.context.getMode() !== 'manual') return;
		const tasks = unique(made.map((life) => life.record?.taskId ?? '').filter(Boolean));
		this.warn(
			`This ${canceled ? 'canceled' : 'manual'} run did not see the load of ${made.length} file(s) end` +
				(tasks.length > 0 ? ` (task(s) ${tasks.map(shownId).join(', ')})` : '') +
				'. n8n keeps no workflow state of such runs, so no later run can ask how it ended: they count as loaded, and the next run that meets them says so (reason "uncertain"). ' +
				"If one of them failed, load its file again with Options → Forget Earlier Loads → 'These Input Files'.",
		);
	}

	/** The static data's records (the field is made when `create` and missing). */
	private staticRecords(create: true): Record<string, SettleRecord>;
	private staticRecords(create: false): Record<string, SettleRecord> | undefined;
	private staticRecords(create: boolean): Record<string, SettleRecord> | undefined {
		if (this.records) return this.records;
		const staticData = this.context.getWorkflowStaticData('global');
		const field = staticData[STATIC_DATA_FIELD];
		if (field && typeof field === 'object' && !Array.isArray(field)) {
			this.records = field as Record<string, SettleRecord>;
		} else if (create) {
			staticData[STATIC_DATA_FIELD] = {};
			this.records = staticData[STATIC_DATA_FIELD] as Record<string, SettleRecord>;
		}
		return this.records;
	}

	private lifeOf(key: string): FileLife {
		let life = this.files.get(key);
		if (!life) {
			life = {
				key,
				state: { state: 'new' },
				held: false,
				leases: new Set(),
				toTakeBack: new Set(),
				taken: false,
				recordChanged: false,
			};
			this.files.set(key, life);
		}
		return life;
	}

	private livesOf(keys: string[]): FileLife[] {
		return unique(keys).map((key) => this.lifeOf(key));
	}

	private get helpers() {
		const helpers = this.context.helpers;
		if (typeof helpers.checkProcessedAndRecord !== 'function') {
			throw operationError(
				this.context.getNode(),
				"This n8n has no store for processed items (n8n's deduplication)",
				{
					description:
						'Skip Files Already Loaded, Keep New Files and Mark as Loaded need n8n 1.64 or later. Turn the option off, or update n8n.',
				},
			);
		}
		return helpers;
	}

	/**
	 * n8n's check-and-record, for entries that are unique. The first call for a workflow inserts its
	 * row: another process inserting it at the same moment makes this one fail on the primary key; the
	 * row is there then, so the call is made once more.
	 */
	private async checkAndRecord(entries: DeduplicationItemTypes[], maxEntries?: number) {
		const options =
			maxEntries !== undefined && Number.isFinite(maxEntries)
				? { ...ENTRIES, maxEntries }
				: ENTRIES;
		const call = async () => await this.helpers.checkProcessedAndRecord(entries, SCOPE, options);
		return await call().catch(async (error: unknown) => {
			if (/UNIQUE constraint failed|duplicate key value/i.test(String((error as Error)?.message))) {
				return await call();
			}
			return await Promise.reject(error);
		});
	}

	/** A job on n8n's store, queued (and tried `attempts` times), with its errors made clear. */
	private async store<T>(what: string, job: () => Promise<T>, attempts = 1): Promise<T> {
		void this.helpers; // an n8n without the store fails here, with its own message
		for (let attempt = 1; ; attempt++) {
			try {
				return await serially(job);
			} catch (error) {
				if (attempt < attempts) {
					await pause(250 * attempt);
					continue;
				}
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

	private hintWhenFull(count: number, toRecord: number): void {
		if (count + toRecord <= this.maxEntries) return;
		this.context.addExecutionHints({
			message:
				`Remember at Most is ${this.maxEntries}, and the workflow remembers ${count} entries with up to ${toRecord} more files to come: ` +
				'the earliest are forgotten, and load again when they show up. Raise Remember at Most above the number of files a run sees.',
			type: 'warning',
			location: 'outputPane',
		});
	}

	private warn(message: string): void {
		this.context.logger.warn(`EverGIS: ${message}`);
		this.context.addExecutionHints({ message, type: 'warning', location: 'outputPane' });
	}
}

/**
 * Whether a task creation that failed this way may have created the task all the same: EverGIS
 * received it and then failed or did not answer (transport/errors.ts says which), or the execution
 * was canceled while the request was on its way (axios aborted it: ERR_CANCELED). Then the file
 * counts as loaded: a second task is never created for it.
 */
export function createMayHaveSucceeded(error: unknown): boolean {
	if (taskMayExist(error)) return true;
	const facts = failureOf(error);
	return facts?.canceled === true && facts.status === undefined && facts.code === 'ERR_CANCELED';
}

/** The state a reading gives without asking EverGIS. */
function stateOf(reading: Reading, record?: SettleRecord): FileState {
	switch (reading) {
		case 'loaded':
			return { state: 'loaded' };
		case 'beingLoaded':
			return { state: 'beingLoaded', why: 'another execution is loading it now' };
		case 'mayExist':
			return {
				state: 'uncertain',
				why: `its task creation (${record?.since ?? 'an earlier run'}) failed in a way that may have created the task: ${record?.mayExist ?? ''}`,
			};
		case 'unknown':
			return {
				state: 'uncertain',
				why: 'no run saw how its load ended: n8n did not keep the record of that run (a manual or canceled run, a queue-mode worker of n8n 2.x, two runs saving at once, or n8n stopped during the run)',
			};
		default:
			return { state: 'new' };
	}
}

/** A record as the static data keeps it: only its own fields. */
function stripped(record: SettleRecord): SettleRecord {
	return Object.fromEntries(
		Object.entries(record).filter(([, value]) => value !== undefined),
	) as unknown as SettleRecord;
}

/** The static data names a file by a digest of its key (the key holds host and catalog). */
function hashOf(key: string): string {
	return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
