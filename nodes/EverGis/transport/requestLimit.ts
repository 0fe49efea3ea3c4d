import { pause, whenAborted } from '../shared/pause';

/**
 * How many requests one execution (or one trigger poll) has on their way to EverGIS at once.
 *
 * EverGIS serves a fixed number of requests at a time for all its users together
 * (`maximumActiveRequests`, 20 by default) and answers 419 past it. So the limit is found, not set:
 * it grows by one for each limit's worth of requests that succeed, and halves when the server says
 * it is busy (419, 429, 503) or its answers slow down sharply, as TCP does with its window
 * (additive increase, multiplicative decrease). Several executions that each do this settle on
 * sharing the server instead of fighting over it. One halving per round of requests: the answers
 * to requests sent before the last halving do not halve it again.
 */
export const REQUEST_LIMIT = {
	/** Requests in flight at the start, before anything is known of the server. */
	initial: 4,
	/** The limit's ceiling for progress requests (the trigger's, a wait's); the node adds its Concurrency. */
	ceiling: 8,
	/** An answer this many times slower than the fastest recent one, and … */
	slowFactor: 4,
	/** … at least this much slower, counts as the server slowing down. */
	slowMarginMs: 500,
	/** How many recent answers the fastest one is taken from. */
	recentAnswers: 50,
};

/** How a request ended, as far as the limit is concerned. */
export type RequestVerdict = 'ok' | 'busy' | 'other';

/** A request that was waiting for a slot when its execution stopped (canceled, or failing). */
export class HaltedError extends Error {
	constructor() {
		super('Stopped before the request was sent');
		this.name = 'HaltedError';
	}
}

/**
 * A request whose deadline (a wait's Timeout, a poll's time) came before it was sent: while it
 * waited for a slot, or when its turn came with no time left.
 */
export class DeadlinePassed extends Error {
	constructor() {
		super('Not sent: its time ran out before its turn came');
		this.name = 'DeadlinePassed';
	}
}

export interface Slot {
	/** Frees the slot. `latencyMs` is given for answers whose time says something about load. */
	leave(verdict: RequestVerdict, latencyMs?: number): void;
}

export class RequestLimit {
	private window: number;
	private inFlight = 0;
	private readonly queue: Array<{ admit: () => void }> = [];
	private readonly backgroundQueue: Array<{ admit: () => void }> = [];
	private lastHalvedAt = Number.NEGATIVE_INFINITY;
	private readonly recentLatencies: number[] = [];

	constructor(
		private readonly ceiling: number,
		private readonly clock: () => number = Date.now,
	) {
		this.window = Math.min(REQUEST_LIMIT.initial, ceiling);
	}

	/** Requests that may be in flight now. */
	get current(): number {
		return Math.max(1, Math.floor(this.window));
	}

	get active(): number {
		return this.inFlight;
	}

	/**
	 * Waits for a free slot, in the order asked. A `background` request (a progress request of the
	 * wait, which can as well go out a moment later) is let through only when no other request is
	 * waiting, so that the items' uploads and task requests are not queued behind a burst of polls.
	 * Rejects when `signal` aborts meanwhile (HaltedError), or when `deadline` (Date.now() ms) comes
	 * first (DeadlinePassed): a wait's request must not wait for its turn past the wait's Timeout.
	 * (With n8n-workflow before 2.34, whose sleep cannot be cut, the timer of a request admitted
	 * before its deadline runs out by itself, holding its few closures until then.)
	 */
	async enter(signal?: AbortSignal, background = false, deadline?: number): Promise<Slot> {
		if (signal?.aborted) throw new HaltedError();
		const queue = background ? this.backgroundQueue : this.queue;
		const ahead = this.queue.length + (background ? this.backgroundQueue.length : 0);
		if (this.inFlight >= this.current || ahead > 0) {
			await new Promise<void>((resolve, reject) => {
				const deadlineNoLongerMatters = new AbortController();
				const waiter = {
					admit: () => {
						forgetStop();
						deadlineNoLongerMatters.abort();
						resolve();
					},
				};
				const leaveQueue = (error: Error) => {
					const at = queue.indexOf(waiter);
					if (at < 0) return;
					queue.splice(at, 1);
					forgetStop();
					deadlineNoLongerMatters.abort();
					reject(error);
				};
				const forgetStop = signal
					? whenAborted(signal, () => leaveQueue(new HaltedError()))
					: () => undefined;
				if (deadline !== undefined) {
					void pause(Math.max(0, deadline - Date.now()), deadlineNoLongerMatters.signal).then(
						() => leaveQueue(new DeadlinePassed()),
						() => undefined,
					);
				}
				queue.push(waiter);
			});
		} else {
			this.inFlight++;
		}
		const sentAt = this.clock();
		let left = false;
		return {
			leave: (verdict, latencyMs) => {
				if (left) return;
				left = true;
				this.inFlight--;
				this.learn(verdict, sentAt, latencyMs);
				this.admitWaiting();
			},
		};
	}

	private learn(verdict: RequestVerdict, sentAt: number, latencyMs: number | undefined): void {
		const slow = verdict === 'ok' && latencyMs !== undefined && this.isSlow(latencyMs);
		if (verdict === 'busy' || slow) {
			if (sentAt > this.lastHalvedAt) {
				this.window = Math.max(1, this.window / 2);
				this.lastHalvedAt = this.clock();
			}
			return;
		}
		if (verdict === 'ok') {
			this.window = Math.min(this.ceiling, this.window + 1 / this.window);
		}
	}

	private isSlow(latencyMs: number): boolean {
		const recent = this.recentLatencies;
		const fastest = recent.length > 0 ? Math.min(...recent) : undefined;
		recent.push(latencyMs);
		if (recent.length > REQUEST_LIMIT.recentAnswers) recent.shift();
		return (
			fastest !== undefined &&
			latencyMs > fastest * REQUEST_LIMIT.slowFactor &&
			latencyMs > fastest + REQUEST_LIMIT.slowMarginMs
		);
	}

	private admitWaiting(): void {
		while (this.inFlight < this.current) {
			const next = this.queue.shift() ?? this.backgroundQueue.shift();
			if (!next) return;
			this.inFlight++;
			next.admit();
		}
	}
}
