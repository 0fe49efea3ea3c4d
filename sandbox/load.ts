import type { LoadStats } from './types';

// The API requests being processed at once, as EverGIS counts them for maximumActiveRequests
// (server-wide, all users): admission against the limit, the peak, and how long the server spent
// at each count (time-weighted), for the stats.

/** One admitted request: call `leave()` once it is over (more calls do nothing). */
export interface ActiveRequest {
	/** How many other API requests were being processed when this one was admitted. */
	readonly othersActive: number;
	leave(): void;
}

function round(ms: number): number {
	return Math.round(ms * 1000) / 1000;
}

export class LoadMeter {
	private active = 0;
	private peak = 0;
	private msByActive: number[] = [];
	private msAtLimit = 0;
	private since: number;
	private last: number;

	/**
	 * @param limit the maxActiveRequests in force (0 = none), read at every admission
	 * @param changed called whenever the count changes (the stats file is then out of date)
	 */
	constructor(
		private readonly limit: () => number,
		private readonly changed: () => void,
		private readonly now: () => number = () => performance.now(),
	) {
		this.since = this.last = this.now();
	}

	get activeRequests(): number {
		return this.active;
	}

	/** Books the time since the last change to the count in force until now. */
	private account(): void {
		const t = this.now();
		const dt = t - this.last;
		this.last = t;
		if (dt <= 0) return;
		this.msByActive[this.active] = (this.msByActive[this.active] ?? 0) + dt;
		const limit = this.limit();
		if (limit > 0 && this.active >= limit) this.msAtLimit += dt;
	}

	/** Admits a request, or returns undefined when the limit is reached (answer it 419). */
	tryEnter(): ActiveRequest | undefined {
		const limit = this.limit();
		if (limit > 0 && this.active >= limit) return undefined;
		this.account();
		const othersActive = this.active;
		this.active++;
		if (this.active > this.peak) this.peak = this.active;
		this.changed();
		let left = false;
		return {
			othersActive,
			leave: () => {
				if (left) return;
				left = true;
				this.account();
				this.active--;
				this.changed();
			},
		};
	}

	/** Call before the limit changes: the time so far is judged by the old limit. */
	limitChanging(): void {
		this.account();
	}

	/** Starts the figures afresh (the requests active now stay counted, and are the new peak). */
	reset(): void {
		this.account();
		this.msByActive = [];
		this.msAtLimit = 0;
		this.since = this.last;
		this.peak = this.active;
	}

	stats(): { activeRequests: number; peakActiveRequests: number; load: LoadStats } {
		// Up to the last change, not to now: two snapshots of the same state are equal.
		const observedMs = this.last - this.since;
		const msByActive = Array.from(this.msByActive, (ms) => round(ms ?? 0));
		let weighted = 0;
		this.msByActive.forEach((ms, n) => (weighted += (ms ?? 0) * n));
		return {
			activeRequests: this.active,
			peakActiveRequests: this.peak,
			load: {
				observedMs: round(observedMs),
				msByActive,
				msAtLimit: round(this.msAtLimit),
				shareAtLimit: observedMs > 0 ? Math.min(1, this.msAtLimit / observedMs) : 0,
				meanActiveRequests: observedMs > 0 ? weighted / observedMs : 0,
			},
		};
	}
}
