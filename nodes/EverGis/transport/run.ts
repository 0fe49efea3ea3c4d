import type { IExecuteFunctions, ILoadOptionsFunctions, IPollFunctions } from 'n8n-workflow';

import { pause, whenAborted } from '../shared/pause';
import { REQUEST_LIMIT, RequestLimit } from './requestLimit';

export type EverGisFunctions = IExecuteFunctions | ILoadOptionsFunctions | IPollFunctions;

/**
 * Why a run stopped before its end: n8n canceled the execution; an item failed and the node stops
 * the others (fail fast, without Continue On Fail); or a trigger poll's time ran out (what it did
 * not ask waits for the next poll).
 */
export type StopReason = 'canceled' | 'itemFailed' | 'outOfTime';

const STOP_MESSAGES: Record<StopReason, string> = {
	canceled: 'The execution was canceled',
	itemFailed: 'Stopped: another item of this execution failed',
	outOfTime: "Stopped: the poll's time ran out",
};

/** What the run's signal aborts with: an AbortError that says why. */
export class RunStopped extends Error {
	constructor(readonly reason: StopReason) {
		super(STOP_MESSAGES[reason]);
		this.name = 'AbortError';
	}
}

/** Who logs in and whose secrets must never leave: read from the credentials once per run. */
export interface Session {
	host: string;
	username: string;
	/** The password and every token this run saw: scrubbed from errors. */
	secrets: Set<string>;
	/** Until when the stored token is known to be good (its JWT exp). */
	validUntil: number;
	/** The one token check that requests waiting at the same moment share. */
	renewing?: Promise<void>;
	/** A login that failed because of the credentials: not tried again in this run. */
	loginFailure?: Error;
}

/**
 * What the requests of one run share. A run is one execution of the EverGIS Tiling node (the
 * router makes it), one poll of the trigger (poll() makes it), or one call of a list in the editor.
 * It is created where the run starts and passed down, and it ends with the run: nothing of it is kept
 * on n8n's context objects, which n8n may reuse (one poll context serves every poll of a trigger's
 * activation). What outlives a run is n8n's: the token, which n8n keeps in the credentials.
 */
export class EverGisRun {
	/** Requests in flight at once: found anew by each run (requestLimit.ts). */
	readonly limit: RequestLimit;
	/** Tiling tasks created so far, in order: named in the node's error if it fails. */
	readonly submittedTaskIds: string[] = [];
	/** The catalogs looked up so far, by name: each once per run. */
	readonly catalogChecks = new Map<string, Promise<void>>();
	/** The login state of this run; made by transport/request.ts on the first request. */
	session?: Promise<Session>;
	/**
	 * When the run must be over (Date.now() ms): a trigger poll's budget. Each request is sent with
	 * at most the time left then (transport/request.ts), and `within` stops waiting at this moment.
	 */
	readonly deadline?: number;
	private readonly stopping = new AbortController();

	/**
	 * `itemsAtOnce`: the node's Concurrency, for which the limit leaves room beside progress requests.
	 * `deadline`: when the run must be over, if it has such an end (a poll).
	 */
	constructor(
		readonly context: EverGisFunctions,
		{ itemsAtOnce = 0, deadline }: { itemsAtOnce?: number; deadline?: number } = {},
	) {
		this.limit = new RequestLimit(REQUEST_LIMIT.ceiling + itemsAtOnce);
		this.deadline = deadline;
		const cancel =
			'getExecutionCancelSignal' in context ? context.getExecutionCancelSignal() : undefined;
		if (cancel?.aborted) this.stop('canceled');
		else if (cancel) whenAborted(cancel, () => this.stop('canceled'));
	}

	/**
	 * Aborts when the run stops: requests waiting for a slot are dropped, retries and waits end, and
	 * uploads stop reading their file. Its `reason` is a RunStopped error.
	 */
	get signal(): AbortSignal {
		return this.stopping.signal;
	}

	get stopReason(): StopReason | undefined {
		return this.stopping.signal.aborted
			? (this.stopping.signal.reason as RunStopped).reason
			: undefined;
	}

	/** Stops the run's requests; the first reason given is the one that stays. */
	stop(reason: StopReason): void {
		if (!this.stopping.signal.aborted) this.stopping.abort(new RunStopped(reason));
	}

	/**
	 * Waits for `work`, but not past the run's deadline: then the run stops ('outOfTime': requests not
	 * sent yet are dropped) and the wait ends, whether `work` has or not. What is still under way then
	 * (a request, the login n8n runs for one, which the node cannot give a timeout) is let end by
	 * itself, unused: the caller goes on with what was done by the deadline. Only reads are abandoned
	 * so (a poll's).
	 */
	async within(work: Promise<unknown>): Promise<void> {
		work.catch(() => undefined);
		if (this.deadline === undefined) {
			await work;
			return;
		}
		const workDone = new AbortController();
		const timeUp = pause(Math.max(0, this.deadline - Date.now()), workDone.signal).then(
			() => this.stop('outOfTime'),
			() => undefined,
		);
		try {
			await Promise.race([work, timeUp]);
		} finally {
			workDone.abort();
		}
	}
}
