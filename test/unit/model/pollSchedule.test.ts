import { POLL_BACKOFF, pollDelayMs } from '../../../nodes/EverGis/model/pollSchedule';

/** The progress requests a task of `runMs` gets, and how late its end is seen, under the rule. */
function simulate(runMs: number, pollIntervalMs: number) {
	let at = 0;
	let requests = 0;
	for (;;) {
		at += pollDelayMs(at, pollIntervalMs);
		requests++;
		if (at >= runMs) return { requests, lateMs: at - runMs };
	}
}

describe('pollDelayMs', () => {
	test('a young task is asked every Poll Interval', () => {
		expect(pollDelayMs(0, 5_000)).toBe(5_000);
		expect(pollDelayMs(39_000, 5_000)).toBe(5_000);
	});

	test('an older task is asked after an eighth of its age', () => {
		expect(POLL_BACKOFF.fractionOfAge).toBe(1 / 8);
		expect(pollDelayMs(80_000, 5_000)).toBe(10_000);
		expect(pollDelayMs(800_000, 5_000)).toBe(100_000);
	});

	test('never more than 5 minutes apart, unless the Poll Interval is longer', () => {
		expect(pollDelayMs(10 * 3_600_000, 5_000)).toBe(300_000);
		expect(pollDelayMs(10 * 3_600_000, 600_000)).toBe(600_000);
		expect(pollDelayMs(0, 600_000)).toBe(600_000);
	});

	test.each([
		// [task run time, poll interval, at most requests]
		[2_000, 500, 4],
		[60_000, 5_000, 12],
		[30 * 60_000, 5_000, 50],
		[6 * 3_600_000, 5_000, 120],
	])(
		'a %p ms task polled from %p ms: ≤ %p requests, seen ended within 1/8 of its run or one interval',
		(runMs, pollMs, most) => {
			const { requests, lateMs } = simulate(runMs, pollMs);
			expect(requests).toBeLessThanOrEqual(most);
			expect(lateMs).toBeLessThanOrEqual(Math.max(pollMs, runMs / 8));
		},
	);

	test('a 30-minute task at the default 5 s: about 40 requests where a fixed interval needs 360', () => {
		expect(simulate(30 * 60_000, 5_000).requests).toBeGreaterThanOrEqual(35);
		expect(simulate(30 * 60_000, 5_000).requests).toBeLessThanOrEqual(45);
	});
});
