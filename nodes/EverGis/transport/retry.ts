import { pause } from '../shared/pause';
import type { RequestLimit, Slot } from './requestLimit';

import type { FailureFacts } from './failure';

/**
 * The retry policy, in one place. What may be sent again depends on what a repeat could do:
 * - `read` (progress, task info, catalogs) and `cancel` change nothing, or nothing twice;
 * - `upload` writes the file under a name chosen before the first attempt, with rewrite=true, so a
 *   repeat overwrites the same file instead of adding one;
 * - `create` (a tiling task) is sent again only when the server cannot have created the task: it
 *   refused it (419, 429, 503), the connection was never made, or the login before it failed (the
 *   request was answered 401). After a 500, 502, 504, a reset or a timeout the task may exist, so it
 *   is not sent again.
 * "Busy" (419: more requests than EverGIS's maximumActiveRequests at once; 429) is not a fault: the
 * server is up and did not take the request. It is retried for every kind, for up to 5 minutes of
 * refusals rather than a few attempts, after the server's Retry-After or a growing pause, and it
 * makes the run send fewer requests at once (requestLimit.ts). It never means "log in again": only
 * a 401 does, and n8n handles that itself (it logs in and resends once). 503 ("unavailable") also
 * makes the run send fewer requests, but is retried like a fault (6 attempts, about half a minute):
 * a proxy whose upstream is down answers it for as long as the upstream is down.
 */
export type RequestKind = 'read' | 'upload' | 'create' | 'cancel';

export const RETRY = {
	/** Attempts in all when a request fails (5xx, a reset, a timeout). */
	attempts: 6,
	/**
	 * How long a request is tried again while the server answers that it is busy, from its first
	 * busy answer; the time it then waits for a slot of the run's request limit does not count.
	 */
	busyForMs: 300_000,
	baseDelayMs: 500,
	maxDelayMs: 20_000,
	/**
	 * A busy answer's pause (without Retry-After) is shorter: the request limit has already halved,
	 * and that is what sends fewer requests; the refused request only waits for a request of another
	 * client to end (about one answer's time), and doubles its pause while it keeps being refused.
	 * A pause of seconds left the server idle while items slept: on a 6-request server shared by three
	 * executions, 0.5 s doubling to 20 s took 7.6 s against 6.5 s, with as many 419s (about 3 in 10
	 * answers either way; bench/sharedExperiment.ts, 3 rounds).
	 */
	busyBaseDelayMs: 50,
	busyMaxDelayMs: 2_000,
	/** A Retry-After longer than this is cut to it. */
	maxRetryAfterMs: 60_000,
};

const BUSY_STATUS = new Set([419, 429]);
/** Answers that say the server did not take the request: busy, or unavailable. */
const REFUSED_STATUS = new Set([419, 429, 503]);
const FAULT_STATUS = new Set([408, 500, 502, 503, 504]);
const TRANSIENT_NETWORK = new Set([
	'ECONNRESET',
	'ECONNREFUSED',
	'EPIPE',
	'ETIMEDOUT',
	'ECONNABORTED',
	'EAI_AGAIN',
	'ENETUNREACH',
	'EHOSTUNREACH',
	'ERR_BAD_RESPONSE',
]);
/** Failures that happen before a single byte reaches the server. */
const NEVER_SENT = new Set([
	'ECONNREFUSED',
	'EAI_AGAIN',
	'ENETUNREACH',
	'EHOSTUNREACH',
	'ENOTFOUND',
]);

/** The server answered that it is busy (419, 429): it did not take the request. */
export function isBusy(facts: FailureFacts): boolean {
	return facts.status !== undefined && BUSY_STATUS.has(facts.status);
}

/** The server refused the request without processing it (busy, or unavailable: 503). */
export function wasRefused(facts: FailureFacts): boolean {
	return facts.status !== undefined && REFUSED_STATUS.has(facts.status);
}

/** The request cannot have reached the server (so cannot have created anything). */
export function wasNeverSent(facts: FailureFacts): boolean {
	return facts.status === undefined && facts.code !== undefined && NEVER_SENT.has(facts.code);
}

export function isRetryable(kind: RequestKind, facts: FailureFacts): boolean {
	if (facts.canceled || facts.configuration || facts.deadlinePassed) return false;
	// A login that failed for a passing reason: the request itself was not processed.
	if (facts.login) return true;
	if (wasRefused(facts)) return true;
	if (facts.status !== undefined) return kind !== 'create' && FAULT_STATUS.has(facts.status);
	// A host name that does not resolve is a setting to fix, not a passing fault: not retried.
	if (kind === 'create') return wasNeverSent(facts) && facts.code !== 'ENOTFOUND';
	return facts.timedOut || (facts.code !== undefined && TRANSIENT_NETWORK.has(facts.code));
}

/**
 * Exponential backoff with jitter (from 50 ms up to 2 s for a busy answer, from 0.5 s up to 20 s for a
 * fault), or the server's Retry-After when it gave one. `attempt` counts the answers of that kind.
 */
export function retryDelayMs(
	attempt: number,
	facts: FailureFacts,
	random: () => number = Math.random,
) {
	if (facts.retryAfterMs !== undefined) {
		return Math.min(Math.max(facts.retryAfterMs, 100), RETRY.maxRetryAfterMs);
	}
	const [base, max] = isBusy(facts)
		? [RETRY.busyBaseDelayMs, RETRY.busyMaxDelayMs]
		: [RETRY.baseDelayMs, RETRY.maxDelayMs];
	const ceiling = Math.min(max, base * 2 ** (attempt - 1));
	return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface RetryHooks {
	/** Aborts the waits between attempts, and the wait for a slot of the limit. */
	signal?: AbortSignal;
	/** Each attempt waits for a slot of the execution's request limit, and tells it how it went. */
	limit?: RequestLimit;
	/** The attempts may wait for the limit's other requests (see RequestLimit.enter). */
	background?: boolean;
	/** No attempt waits for its turn past this moment (Date.now() ms; see RequestLimit.enter). */
	deadline?: number;
	/** Whether an attempt's time says how loaded the server is (a small request's does, an upload's not). */
	learnsFromLatency?: boolean;
	/** Runs in each attempt's slot before it is sent (the token check); a failure ends the request as it is. */
	checkToken?: () => Promise<void>;
	/** Fewer attempts than the policy allows (1 = no retries). */
	maxAttempts?: number;
	facts: (error: unknown) => FailureFacts;
	onRetry?: (attempt: number, delayMs: number, facts: FailureFacts) => void;
}

export type RetryOutcome<T> =
	| { ok: true; value: T; attempts: number }
	| {
			ok: false;
			error: unknown;
			facts: FailureFacts;
			attempts: number;
			/** The token check failed: the error is its own, not a failed attempt's. */
			tokenCheckFailed?: boolean;
	  };

/** Runs `attempt` until it succeeds, the policy says stop, or the attempts (or busy time) run out. */
export async function withRetries<T>(
	kind: RequestKind,
	attempt: (attemptNumber: number) => Promise<T>,
	hooks: RetryHooks,
): Promise<RetryOutcome<T>> {
	let failedAttempts = 0;
	let busyAnswers = 0;
	/** When the server first said it was busy; and the time spent since in the limit's queue. */
	let busySince: number | undefined;
	let queuedSinceBusyMs = 0;
	for (let attemptNumber = 1; ; attemptNumber++) {
		let failure: unknown;
		let slot: Slot | undefined;
		let stage: 'waiting' | 'checkingToken' | 'sent' = 'waiting';
		try {
			const queuedAt = Date.now();
			slot = await hooks.limit?.enter(hooks.signal, hooks.background, hooks.deadline);
			if (busySince !== undefined) queuedSinceBusyMs += Date.now() - queuedAt;
			stage = 'checkingToken';
			await hooks.checkToken?.();
			stage = 'sent';
			const sentAt = Date.now();
			const value = await attempt(attemptNumber);
			slot?.leave('ok', hooks.learnsFromLatency ? Date.now() - sentAt : undefined);
			return { ok: true, value, attempts: attemptNumber };
		} catch (error) {
			failure = error;
		}
		const facts = hooks.facts(failure);
		const busy = isBusy(facts);
		slot?.leave(wasRefused(facts) && stage === 'sent' ? 'busy' : 'other');
		if (stage === 'checkingToken') {
			return { ok: false, error: failure, facts, attempts: attemptNumber, tokenCheckFailed: true };
		}
		if (busy) {
			busySince ??= Date.now();
			busyAnswers++;
		} else failedAttempts++;
		const spent =
			hooks.maxAttempts !== undefined
				? attemptNumber >= hooks.maxAttempts
				: busy
					? Date.now() - (busySince ?? Date.now()) - queuedSinceBusyMs >= RETRY.busyForMs
					: failedAttempts >= RETRY.attempts;
		if (spent || !isRetryable(kind, facts) || hooks.signal?.aborted) {
			return { ok: false, error: failure, facts, attempts: attemptNumber };
		}
		const delay = retryDelayMs(busy ? busyAnswers : failedAttempts, facts);
		hooks.onRetry?.(attemptNumber, delay, facts);
		try {
			await pause(delay, hooks.signal);
		} catch {
			// The run stopped (canceled, or another item failed) while waiting to try again.
			return {
				ok: false,
				error: failure,
				facts: { ...facts, canceled: true },
				attempts: attemptNumber,
			};
		}
	}
}
