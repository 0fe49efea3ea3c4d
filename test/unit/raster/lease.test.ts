import {
	LEASE,
	bucketAt,
	leaseEntries,
	readingOf,
	renewedPeriods,
} from '../../../nodes/EverGis/actions/raster/loadMemory';

// The lease of a claim (loadMemory.ts), as pure functions: a holder renews every LEASE.renewEveryMs,
// a reader reads the entries of its own clock's period and the next. The promises of
// docs/loading-only-new.md: a live holder's lease is read as live by a reader whose clock is up to
// 5 minutes behind or 4 minutes ahead; a holder that stopped renewing loses it 5 to 10 minutes after
// its last renewal (with the same clocks).

const MINUTE = 60_000;
const KEY = 'file';

/** The lease entries a holder has at each renewal, from `start` for `ms` (its own clock). */
function holder(start: number, ms: number): Array<{ at: number; entries: Set<string> }> {
	let periods = [bucketAt(start), bucketAt(start) + 1];
	const states = [{ at: start, entries: new Set(periods.map((p) => `lease ${KEY} ${p}`)) }];
	for (let at = start + LEASE.renewEveryMs; at <= start + ms; at += LEASE.renewEveryMs) {
		periods = renewedPeriods(periods, at).kept;
		states.push({ at, entries: new Set(periods.map((p) => `lease ${KEY} ${p}`)) });
	}
	return states;
}

const liveFor = (entries: Set<string>, readerClock: number) =>
	leaseEntries(KEY, readerClock).some((entry) => entries.has(entry));

test('a holder that keeps renewing is live for readers whose clock is 5 minutes behind to 4 minutes ahead, for hours', () => {
	expect(LEASE).toMatchObject({ bucketMs: 5 * MINUTE, renewEveryMs: MINUTE });
	const skews = [-5 * MINUTE + 1, -3 * MINUTE, -1, 0, 1, 2 * MINUTE, 4 * MINUTE - 1];
	// Starts anywhere in a period (every 7 s of one), runs 3 hours; a reader looks every 10 s.
	for (let offset = 0; offset < LEASE.bucketMs; offset += 7_000) {
		const start = 1_800_000_000_000 + offset;
		const states = holder(start, 3 * 60 * MINUTE);
		for (const [index, state] of states.entries()) {
			const until = states[index + 1]?.at ?? state.at + 1;
			for (let at = state.at; at < until; at += 10_000) {
				for (const skew of skews) {
					if (!liveFor(state.entries, at + skew)) {
						throw new Error(`not live: start ${start}, at +${at - start} ms, skew ${skew} ms`);
					}
				}
			}
		}
	}
});

test('a holder that stopped renewing is lapsed 10 minutes after its last renewal at the latest, and not before 5 (same clocks)', () => {
	for (let offset = 0; offset < LEASE.bucketMs; offset += 3_000) {
		const start = 1_800_000_000_000 + offset;
		const states = holder(start, 37 * MINUTE);
		const last = states[states.length - 1];
		let lapsedAt: number | undefined;
		for (let at = last.at; at <= last.at + 15 * MINUTE; at += 1_000) {
			if (!liveFor(last.entries, at)) {
				lapsedAt ??= at;
			} else if (lapsedAt !== undefined) throw new Error('live again after it lapsed');
		}
		expect(lapsedAt).toBeDefined();
		expect((lapsedAt as number) - last.at).toBeGreaterThan(5 * MINUTE - 1_000);
		expect((lapsedAt as number) - last.at).toBeLessThanOrEqual(10 * MINUTE);
	}
});

test('a renewal keeps the period before the current one (for readers behind) and drops the earlier ones', () => {
	const now = 1_800_000_000_000;
	const b = bucketAt(now);
	expect(renewedPeriods([b - 3, b - 2, b - 1, b], now)).toEqual({
		kept: [b - 1, b, b + 1],
		dropped: [b - 3, b - 2],
	});
});

test('what the look-up reads from the entries it found (the table of loadMemory.ts)', () => {
	const found = (loaded: boolean, claimed: boolean, live = false, record?: object) =>
		readingOf({ loaded, claimed, live, record: record as never });
	expect(found(false, false)).toBe('new');
	expect(found(false, true, true)).toBe('beingLoaded');
	expect(found(false, true)).toBe('new');
	expect(found(true, false)).toBe('loaded');
	expect(found(true, true, true)).toBe('beingLoaded');
	expect(found(true, true, false, { since: 'x', taskId: 't' })).toBe('settle');
	expect(found(true, false, false, { since: 'x', taskId: 't' })).toBe('settle');
	expect(found(true, true, false, { since: 'x', mayExist: 'HTTP 502' })).toBe('mayExist');
	expect(found(true, true, false, { since: 'x', notLoaded: true })).toBe('new');
	expect(found(true, true)).toBe('unknown');
});
