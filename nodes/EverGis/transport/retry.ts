import { pause } from '../shared/pause';

import type { FailureFacts } from './failure';

/**
 * The retry policy, in one place. What may be sent again depends on what a repeat could do:
 * - `read` (progress, task info, catalogs) and `cancel` change nothing, or nothing twice;
 * - `upload` writes the file under a name chosen before the first attempt, with rewrite=true, so a
 *   repeat overwrites the same file instead of adding one;
 * - `create` (a tiling task) is sent again only when the server cannot have created the task:
 *   it answered 429, 419 or 503 (it did not take the request), or the connection was never made.
 *   After a 500, 502, 504, a reset or a timeout the task may exist, so it is not sent again.
 * 401, 403 and 419 are first answered by n8n itself: it logs in again and resends once.
 */
export type RequestKind = 'read' | 'upload' | 'create' | 'cancel';

export const RETRY = {
	attempts: 6,
	baseDelayMs: 500,
	maxDelayMs: 20_000,
	/** A Retry-After longer than this is cut to it. */
	maxRetryAfterMs: 60_000,
};

const TRANSIENT_STATUS = new Set([408, 419, 429, 500, 502, 503, 504]);
const NOT_TAKEN_STATUS = new Set([419, 429, 503]);
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

/** The request cannot have reached the server (so cannot have created anything). */
export function wasNeverSent(facts: FailureFacts): boolean {
	return facts.status === undefined && facts.code !== undefined && NEVER_SENT.has(facts.code);
}

export function isRetryable(kind: RequestKind, facts: FailureFacts): boolean {
	if (facts.canceled) return false;
	if (facts.status !== undefined) {
		return kind === 'create'
			? NOT_TAKEN_STATUS.has(facts.status)
			: TRANSIENT_STATUS.has(facts.status);
	}
	// A host name that does not resolve is a setting to fix, not a passing fault: not retried.
	if (kind === 'create') return wasNeverSent(facts) && facts.code !== 'ENOTFOUND';
	return facts.timedOut || (facts.code !== undefined && TRANSIENT_NETWORK.has(facts.code));
}

/** Exponential backoff with jitter, or the server's Retry-After when it gave one. */
export function retryDelayMs(
	attempt: number,
	facts: FailureFacts,
	random: () => number = Math.random,
) {
	if (facts.retryAfterMs !== undefined) {
		return Math.min(Math.max(facts.retryAfterMs, 100), RETRY.maxRetryAfterMs);
	}
	const ceiling = Math.min(RETRY.maxDelayMs, RETRY.baseDelayMs * 2 ** (attempt - 1));
	return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface RetryHooks {
	signal?: AbortSignal;
	/** Fewer attempts than the policy allows (1 = no retries). */
	maxAttempts?: number;
	facts: (error: unknown) => FailureFacts;
	onRetry?: (attempt: number, delayMs: number, facts: FailureFacts) => void;
}

export type RetryOutcome<T> =
	| { ok: true; value: T; attempts: number }
	| { ok: false; error: unknown; facts: FailureFacts; attempts: number };

/** Runs `attempt` until it succeeds, the policy says stop, or the attempts run out. */
export async function withRetries<T>(
	kind: RequestKind,
	attempt: (attemptNumber: number) => Promise<T>,
	hooks: RetryHooks,
): Promise<RetryOutcome<T>> {
	for (let attemptNumber = 1; ; attemptNumber++) {
		let failure: unknown;
		try {
			return { ok: true, value: await attempt(attemptNumber), attempts: attemptNumber };
		} catch (error) {
			failure = error;
		}
		const facts = hooks.facts(failure);
		if (
			attemptNumber >= (hooks.maxAttempts ?? RETRY.attempts) ||
			!isRetryable(kind, facts) ||
			hooks.signal?.aborted
		) {
			return { ok: false, error: failure, facts, attempts: attemptNumber };
		}
		const delay = retryDelayMs(attemptNumber, facts);
		hooks.onRetry?.(attemptNumber, delay, facts);
		try {
			await pause(delay, hooks.signal);
		} catch {
			// The execution was canceled while waiting to try again.
			return {
				ok: false,
				error: failure,
				facts: { ...facts, canceled: true },
				attempts: attemptNumber,
			};
		}
	}
}
