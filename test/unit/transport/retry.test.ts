import type { FailureFacts } from '../../../nodes/EverGis/transport/failure';
import { factsOf } from '../../../nodes/EverGis/transport/failure';
import { RequestLimit } from '../../../nodes/EverGis/transport/requestLimit';
import {
	isRetryable,
	RETRY,
	retryDelayMs,
	withRetries,
	type RequestKind,
} from '../../../nodes/EverGis/transport/retry';

function facts(partial: Partial<FailureFacts>): FailureFacts {
	return { timedOut: false, canceled: false, ...partial };
}

const SAFE_KINDS: RequestKind[] = ['read', 'upload', 'cancel'];
const ALL_KINDS: RequestKind[] = [...SAFE_KINDS, 'create'];

// The policy as a table: [status, retried for read/upload/cancel, retried for create].
// Create is retried only when the server cannot have taken the request: 419, 429, 503.
const STATUS_MATRIX: Array<[number, boolean, boolean]> = [
	[400, false, false],
	[401, false, false],
	[403, false, false],
	[404, false, false],
	[408, true, false],
	[409, false, false],
	[413, false, false],
	[419, true, true],
	[429, true, true],
	[500, true, false],
	[502, true, false],
	[503, true, true],
	[504, true, false],
];

// [code, retried for read/upload/cancel, retried for create]. Create: only never-connected ones.
const NETWORK_MATRIX: Array<[string, boolean, boolean]> = [
	['ECONNRESET', true, false],
	['ECONNREFUSED', true, true],
	['ETIMEDOUT', true, false],
	['EPIPE', true, false],
	['ENOTFOUND', false, false],
	['EAI_AGAIN', true, true],
	['EHOSTUNREACH', true, true],
	['ENETUNREACH', true, true],
	['ECONNABORTED', true, false],
];

describe('isRetryable', () => {
	describe.each(SAFE_KINDS)('%s', (kind) => {
		test.each(STATUS_MATRIX)('HTTP %p → retried: %p', (status, safe) => {
			expect(isRetryable(kind, facts({ status }))).toBe(safe);
		});
		test.each(NETWORK_MATRIX)('%s → retried: %p', (code, safe) => {
			expect(isRetryable(kind, facts({ code }))).toBe(safe);
		});
		test('a timeout is retried', () => {
			expect(isRetryable(kind, facts({ timedOut: true, code: 'ECONNABORTED' }))).toBe(true);
			expect(isRetryable(kind, facts({ timedOut: true }))).toBe(true);
		});
	});

	describe('create', () => {
		test.each(STATUS_MATRIX)('HTTP %p → retried: %p', (status, _safe, create) => {
			expect(isRetryable('create', facts({ status }))).toBe(create);
		});
		test.each(NETWORK_MATRIX)('%s → retried: %p', (code, _safe, create) => {
			expect(isRetryable('create', facts({ code }))).toBe(create);
		});
		test('a timeout is not retried (the task may exist)', () => {
			expect(isRetryable('create', facts({ timedOut: true, code: 'ECONNABORTED' }))).toBe(false);
			expect(isRetryable('create', facts({ timedOut: true }))).toBe(false);
		});
	});

	test.each(ALL_KINDS)('%s: a canceled request is never retried, whatever else', (kind) => {
		expect(isRetryable(kind, facts({ canceled: true }))).toBe(false);
		expect(isRetryable(kind, facts({ canceled: true, status: 503 }))).toBe(false);
		expect(isRetryable(kind, facts({ canceled: true, code: 'ECONNREFUSED' }))).toBe(false);
		expect(isRetryable(kind, facts({ canceled: true, timedOut: true }))).toBe(false);
	});

	test.each(ALL_KINDS)('%s: no status, no code, no timeout → not retried', (kind) => {
		expect(isRetryable(kind, facts({}))).toBe(false);
	});

	test.each(ALL_KINDS)('%s: the status decides, not a network code next to it', (kind) => {
		// axios puts ERR_BAD_RESPONSE on every 5xx and ERR_BAD_REQUEST on every 4xx.
		expect(isRetryable(kind, facts({ status: 400, code: 'ECONNRESET' }))).toBe(false);
		expect(isRetryable(kind, facts({ status: 500, code: 'ERR_BAD_RESPONSE' }))).toBe(
			kind !== 'create',
		);
	});

	test('from what n8n throws: a create answered 503 is retried, 500 is not', () => {
		const error = (status: number) => ({ response: { status, headers: {} } });
		expect(isRetryable('create', factsOf(error(503)))).toBe(true);
		expect(isRetryable('create', factsOf(error(500)))).toBe(false);
		expect(isRetryable('read', factsOf(error(500)))).toBe(true);
		expect(
			isRetryable(
				'create',
				factsOf({ code: 'ECONNABORTED', message: 'timeout of 1000ms exceeded' }),
			),
		).toBe(false);
	});
});

describe('retryDelayMs', () => {
	const noHint = facts({ status: 500 });

	test.each([
		[1, 250, 500],
		[2, 500, 1000],
		[3, 1000, 2000],
		[4, 2000, 4000],
		[5, 4000, 8000],
		[6, 8000, 16000],
		[7, 10000, 20000],
		[20, 10000, 20000],
	])('attempt %p: from %p ms (random 0) to %p ms (random → 1)', (attempt, low, high) => {
		expect(retryDelayMs(attempt, noHint, () => 0)).toBe(low);
		expect(retryDelayMs(attempt, noHint, () => 0.999999)).toBe(high);
		const middle = retryDelayMs(attempt, noHint, () => 0.5);
		expect(middle).toBeGreaterThanOrEqual(low);
		expect(middle).toBeLessThanOrEqual(high);
		expect(middle).toBe(Math.round((low + high) / 2));
	});

	test('never above maxDelayMs, with the real random', () => {
		for (let attempt = 1; attempt <= 40; attempt++) {
			const delay = retryDelayMs(attempt, noHint);
			expect(delay).toBeGreaterThanOrEqual(RETRY.baseDelayMs / 2);
			expect(delay).toBeLessThanOrEqual(RETRY.maxDelayMs);
		}
	});

	test('grows with the attempt (same random)', () => {
		const delays = [1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, noHint, () => 0.3));
		expect([...delays].sort((a, b) => a - b)).toEqual(delays);
		expect(new Set(delays).size).toBe(delays.length);
	});

	test('a busy answer (419, 429) is tried again sooner than a fault, and 503 waits like a fault', () => {
		for (let attempt = 1; attempt <= 8; attempt++) {
			for (const random of [0, 0.5, 0.999999]) {
				const fault = retryDelayMs(attempt, facts({ status: 502 }), () => random);
				expect(retryDelayMs(attempt, facts({ status: 419 }), () => random)).toBeLessThan(fault);
				expect(retryDelayMs(attempt, facts({ status: 429 }), () => random)).toBeLessThan(fault);
				expect(retryDelayMs(attempt, facts({ status: 503 }), () => random)).toBe(fault);
			}
		}
		// Ten busy answers in a row cost the request well under a minute of pauses.
		const pauses = [...Array(10).keys()].map((n) => retryDelayMs(n + 1, facts({ status: 419 })));
		expect(pauses.reduce((sum, pause) => sum + pause, 0)).toBeLessThan(20_000);
	});

	test("the server's Retry-After is honoured, whatever the attempt and random", () => {
		const hint = facts({ status: 429, retryAfterMs: 3000 });
		expect(retryDelayMs(1, hint, () => 0)).toBe(3000);
		expect(retryDelayMs(6, hint, () => 0.9)).toBe(3000);
	});

	test('a Retry-After longer than the backoff cap is still honoured up to maxRetryAfterMs', () => {
		expect(retryDelayMs(1, facts({ retryAfterMs: 45_000 }))).toBe(45_000);
		expect(retryDelayMs(1, facts({ retryAfterMs: RETRY.maxRetryAfterMs }))).toBe(
			RETRY.maxRetryAfterMs,
		);
	});

	test('a Retry-After beyond maxRetryAfterMs is cut to maxRetryAfterMs', () => {
		const hint = facts({ status: 503, retryAfterMs: RETRY.maxRetryAfterMs + 1 });
		expect(retryDelayMs(1, hint, () => 0)).toBe(RETRY.maxRetryAfterMs);
		expect(retryDelayMs(9, hint, () => 0.999999)).toBe(RETRY.maxRetryAfterMs);
	});

	test('Retry-After 0 still waits a little (100 ms)', () => {
		expect(retryDelayMs(3, facts({ retryAfterMs: 0 }))).toBe(100);
		expect(retryDelayMs(3, facts({ retryAfterMs: 40 }))).toBe(100);
	});
});

describe('withRetries', () => {
	/** A failure whose facts the test chooses (the hooks' `facts` reads them back). */
	class Failure extends Error {
		constructor(readonly facts: FailureFacts) {
			super(`failure ${facts.status ?? facts.code ?? ''}`);
		}
	}
	const readFacts = (error: unknown) =>
		error instanceof Failure ? error.facts : facts({ code: 'EUNKNOWN' });
	/** Retry-After 0 → each retry waits 100 ms: real timers, fast. */
	const quick = (status: number) => new Failure(facts({ status, retryAfterMs: 0 }));

	test('success on the first attempt: one call, attempts 1', async () => {
		const attempt = jest.fn(async () => 'ok');
		const outcome = await withRetries('read', attempt, { facts: readFacts });
		expect(outcome).toEqual({ ok: true, value: 'ok', attempts: 1 });
		expect(attempt).toHaveBeenCalledTimes(1);
		expect(attempt).toHaveBeenCalledWith(1);
	});

	test('retries a transient failure and counts the attempts', async () => {
		const attempt = jest
			.fn<Promise<string>, [number]>()
			.mockRejectedValueOnce(quick(503))
			.mockRejectedValueOnce(quick(502))
			.mockResolvedValueOnce('third time');
		const onRetry = jest.fn();
		const outcome = await withRetries('read', attempt, { facts: readFacts, onRetry });
		expect(outcome).toEqual({ ok: true, value: 'third time', attempts: 3 });
		expect(attempt.mock.calls).toEqual([[1], [2], [3]]);
		expect(onRetry).toHaveBeenCalledTimes(2);
		expect(onRetry).toHaveBeenNthCalledWith(1, 1, 100, expect.objectContaining({ status: 503 }));
		expect(onRetry).toHaveBeenNthCalledWith(2, 2, 100, expect.objectContaining({ status: 502 }));
	});

	test('stops at once on a non-retryable failure, with its error and facts', async () => {
		const error = new Failure(facts({ status: 400, body: { message: 'bad' } }));
		const attempt = jest.fn(async () => {
			throw error;
		});
		const onRetry = jest.fn();
		const outcome = await withRetries('read', attempt, { facts: readFacts, onRetry });
		expect(outcome).toEqual({ ok: false, error, facts: error.facts, attempts: 1 });
		expect(attempt).toHaveBeenCalledTimes(1);
		expect(onRetry).not.toHaveBeenCalled();
	});

	test('create: a 500 is not sent again', async () => {
		const attempt = jest.fn(async () => {
			throw quick(500);
		});
		const outcome = await withRetries('create', attempt, { facts: readFacts });
		expect(outcome).toMatchObject({ ok: false, attempts: 1 });
		expect(attempt).toHaveBeenCalledTimes(1);
	});

	test('create: a 429 is sent again', async () => {
		const attempt = jest
			.fn<Promise<string>, [number]>()
			.mockRejectedValueOnce(quick(429))
			.mockResolvedValueOnce('created');
		const outcome = await withRetries('create', attempt, { facts: readFacts });
		expect(outcome).toEqual({ ok: true, value: 'created', attempts: 2 });
	});

	test('maxAttempts caps the attempts; the last failure is returned', async () => {
		const statuses = [502, 504, 503, 500];
		const attempt = jest.fn(async (n: number) => {
			throw quick(statuses[n - 1]);
		});
		const outcome = await withRetries('read', attempt, { facts: readFacts, maxAttempts: 3 });
		expect(attempt).toHaveBeenCalledTimes(3);
		expect(outcome).toMatchObject({ ok: false, attempts: 3, facts: { status: 503 } });
	});

	test('maxAttempts 1: no retry even for a retryable failure', async () => {
		const onRetry = jest.fn();
		const attempt = jest.fn(async () => {
			throw quick(503);
		});
		const outcome = await withRetries('read', attempt, {
			facts: readFacts,
			maxAttempts: 1,
			onRetry,
		});
		expect(outcome).toMatchObject({ ok: false, attempts: 1 });
		expect(onRetry).not.toHaveBeenCalled();
	});

	test('an already aborted signal: the failure is returned, no retry', async () => {
		const controller = new AbortController();
		controller.abort();
		const attempt = jest.fn(async () => {
			throw quick(503);
		});
		const outcome = await withRetries('read', attempt, {
			facts: readFacts,
			signal: controller.signal,
		});
		expect(outcome).toMatchObject({ ok: false, attempts: 1 });
		expect(attempt).toHaveBeenCalledTimes(1);
	});

	test('an abort during the wait: no further attempt, and it settles at once', async () => {
		const controller = new AbortController();
		const attempt = jest.fn(async () => {
			throw new Failure(facts({ status: 503, retryAfterMs: 30_000 }));
		});
		const started = Date.now();
		const running = withRetries('read', attempt, {
			facts: readFacts,
			signal: controller.signal,
			onRetry: () => setTimeout(() => controller.abort(), 20),
		});
		// Today this rejects with the signal's AbortError (the `sleep` of n8n-workflow rejects);
		// either way the caller must not wait the 30 s nor see a second attempt.
		await running.then(
			() => undefined,
			() => undefined,
		);
		expect(Date.now() - started).toBeLessThan(5_000);
		expect(attempt).toHaveBeenCalledTimes(1);
	});

	describe('with a request limit', () => {
		test('each attempt holds a slot; a busy answer halves the limit; a success grows it', async () => {
			const limit = new RequestLimit(8);
			let held = 0;
			const attempt = jest
				.fn<Promise<string>, [number]>()
				.mockImplementationOnce(async () => {
					held = limit.active;
					throw quick(419);
				})
				.mockImplementationOnce(async () => {
					held = limit.active;
					return 'ok';
				});
			const outcome = await withRetries('read', attempt, { facts: readFacts, limit });
			expect(outcome).toMatchObject({ ok: true, attempts: 2 });
			expect(held).toBe(1);
			expect(limit.active).toBe(0);
			expect(limit.current).toBe(2);
		});

		test('no slot is held while waiting to try again', async () => {
			const limit = new RequestLimit(1);
			const attempt = jest
				.fn<Promise<string>, [number]>()
				.mockRejectedValueOnce(quick(503))
				.mockResolvedValueOnce('ok');
			const running = withRetries('read', attempt, { facts: readFacts, limit });
			await new Promise((resolve) => setTimeout(resolve, 30));
			expect(limit.active).toBe(0);
			await running;
		});

		test('the token check runs in the slot before each attempt; its failure ends the request as it is', async () => {
			const limit = new RequestLimit(8);
			const renewal = new Failure(facts({ status: 419 }));
			const prepare = jest.fn(async () => {
				throw renewal;
			});
			const attempt = jest.fn(async () => 'never');
			const outcome = await withRetries('read', attempt, {
				facts: readFacts,
				limit,
				checkToken: prepare,
			});
			expect(outcome).toMatchObject({
				ok: false,
				error: renewal,
				tokenCheckFailed: true,
				attempts: 1,
			});
			expect(attempt).not.toHaveBeenCalled();
			expect(limit.active).toBe(0);
			expect(limit.current).toBe(4); // the renewal's own request told the limit already
		});

		test('a request stopped while waiting for a slot is not tried again', async () => {
			const limit = new RequestLimit(1);
			const held = await limit.enter();
			const controller = new AbortController();
			const attempt = jest.fn(async () => 'never');
			const running = withRetries('read', attempt, {
				facts: factsOf,
				limit,
				signal: controller.signal,
			});
			controller.abort();
			const outcome = await running;
			expect(outcome).toMatchObject({ ok: false, facts: { canceled: true }, attempts: 1 });
			expect(attempt).not.toHaveBeenCalled();
			held.leave('other');
		});
	});

	describe('with the real backoff (fake timers)', () => {
		beforeEach(() => jest.useFakeTimers());
		afterEach(() => jest.useRealTimers());

		test('default policy: 6 attempts, backoff delays within bounds', async () => {
			const attempt = jest.fn(async () => {
				throw new Failure(facts({ code: 'ECONNRESET' }));
			});
			const delays: number[] = [];
			const running = withRetries('upload', attempt, {
				facts: readFacts,
				onRetry: (_attempt, delay) => delays.push(delay),
			});
			await jest.advanceTimersByTimeAsync(RETRY.maxDelayMs * RETRY.attempts);
			const outcome = await running;
			expect(outcome).toMatchObject({ ok: false, attempts: RETRY.attempts });
			expect(attempt).toHaveBeenCalledTimes(RETRY.attempts);
			expect(delays).toHaveLength(RETRY.attempts - 1);
			delays.forEach((delay, i) => {
				const ceiling = Math.min(RETRY.maxDelayMs, RETRY.baseDelayMs * 2 ** i);
				expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
				expect(delay).toBeLessThanOrEqual(ceiling);
			});
		});

		test.each(['read', 'upload', 'create', 'cancel'] as const)(
			'%s: "busy" (419) is tried again for minutes, not for 6 attempts, then given up',
			async (kind) => {
				const attempt = jest.fn(async () => {
					throw new Failure(facts({ status: 419 }));
				});
				const running = withRetries(kind, attempt, { facts: readFacts });
				await jest.advanceTimersByTimeAsync(RETRY.busyForMs - 30_000);
				expect(attempt.mock.calls.length).toBeGreaterThan(RETRY.attempts);
				await jest.advanceTimersByTimeAsync(60_000);
				const outcome = await running;
				expect(outcome).toMatchObject({ ok: false, facts: { status: 419 } });
				const calls = attempt.mock.calls.length;
				await jest.advanceTimersByTimeAsync(RETRY.busyForMs);
				expect(attempt).toHaveBeenCalledTimes(calls);
			},
		);

		test('the busy time is counted from the first busy answer: waiting for a slot of the limit does not use it up', async () => {
			// Regression: the 5 minutes used to start before the wait for a slot, so a request queued
			// behind long uploads gave up at its first 419.
			const limit = new RequestLimit(1);
			const upload = await limit.enter();
			const attempt = jest
				.fn<Promise<string>, [number]>()
				.mockRejectedValueOnce(new Failure(facts({ status: 419 })))
				.mockResolvedValueOnce('ok');
			const running = withRetries('read', attempt, { facts: readFacts, limit });
			await jest.advanceTimersByTimeAsync(RETRY.busyForMs + 60_000);
			expect(attempt).not.toHaveBeenCalled();
			upload.leave('ok');
			await jest.advanceTimersByTimeAsync(5_000);
			await expect(running).resolves.toEqual({ ok: true, value: 'ok', attempts: 2 });
		});

		test('and a request refused busy for longer than the busy time, without waiting for slots, gives up', async () => {
			const attempt = jest.fn(async () => {
				throw new Failure(facts({ status: 419 }));
			});
			const running = withRetries('read', attempt, { facts: readFacts });
			await jest.advanceTimersByTimeAsync(RETRY.busyForMs + 10_000);
			await expect(running).resolves.toMatchObject({ ok: false, facts: { status: 419 } });
		});

		test('a busy answer between faults does not use up the 6 attempts of the faults', async () => {
			const attempt = jest.fn<Promise<string>, [number]>();
			for (let i = 0; i < 5; i++) {
				attempt.mockRejectedValueOnce(new Failure(facts({ status: 502 })));
				attempt.mockRejectedValueOnce(new Failure(facts({ status: 419 })));
			}
			attempt.mockResolvedValueOnce('ok');
			const running = withRetries('read', attempt, { facts: readFacts });
			await jest.advanceTimersByTimeAsync(RETRY.busyForMs);
			await expect(running).resolves.toEqual({ ok: true, value: 'ok', attempts: 11 });
		});

		test('the next attempt does not start before the delay has passed', async () => {
			const attempt = jest
				.fn<Promise<string>, [number]>()
				.mockRejectedValueOnce(new Failure(facts({ status: 429, retryAfterMs: 5_000 })))
				.mockResolvedValueOnce('ok');
			const running = withRetries('read', attempt, { facts: readFacts });
			await jest.advanceTimersByTimeAsync(4_999);
			expect(attempt).toHaveBeenCalledTimes(1);
			await jest.advanceTimersByTimeAsync(1);
			await expect(running).resolves.toEqual({ ok: true, value: 'ok', attempts: 2 });
		});
	});
});
