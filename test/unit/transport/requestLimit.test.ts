import {
	DeadlinePassed,
	HaltedError,
	REQUEST_LIMIT,
	RequestLimit,
	type Slot,
} from '../../../nodes/EverGis/transport/requestLimit';

/** A clock the test moves by hand. */
function manualClock(start = 1_000) {
	let now = start;
	return { now: () => now, advance: (ms: number) => (now += ms) };
}

async function enterMany(limit: RequestLimit, count: number): Promise<Slot[]> {
	const slots: Slot[] = [];
	for (let i = 0; i < count; i++) slots.push(await limit.enter());
	return slots;
}

/** Resolves on the next turn of the event loop with the promises that have settled by then. */
async function settled<T>(promises: Array<Promise<T>>): Promise<boolean[]> {
	const done = promises.map(() => false);
	promises.forEach((promise, index) => void promise.then(() => (done[index] = true)));
	await new Promise((resolve) => setImmediate(resolve));
	return done;
}

describe('RequestLimit', () => {
	test('starts with a few requests in flight, never more than its ceiling', async () => {
		const roomy = new RequestLimit(8);
		await enterMany(roomy, REQUEST_LIMIT.initial);
		expect(await settled([roomy.enter()])).toEqual([false]);
		const narrow = new RequestLimit(2);
		await enterMany(narrow, 2);
		expect(await settled([narrow.enter()])).toEqual([false]);
	});

	test('a request past the limit waits for a slot, and gets it when one is left', async () => {
		const limit = new RequestLimit(8);
		const slots = await enterMany(limit, 4);
		const fifth = limit.enter();
		expect(await settled([fifth])).toEqual([false]);
		expect(limit.active).toBe(4);
		slots[0].leave('other');
		expect(await settled([fifth])).toEqual([true]);
		expect(limit.active).toBe(4);
	});

	test('waiting requests get their slots in the order they asked', async () => {
		const limit = new RequestLimit(1);
		const first = await limit.enter();
		const order: number[] = [];
		const waiting = [1, 2, 3].map(async (n) => {
			const slot = await limit.enter();
			order.push(n);
			slot.leave('other');
		});
		first.leave('other');
		await Promise.all(waiting);
		expect(order).toEqual([1, 2, 3]);
	});

	test('grows by one for each limit’s worth of successes, up to the ceiling', async () => {
		const limit = new RequestLimit(6);
		// 4 successes at 4 → 5; 5 more → 6; then it stays at the ceiling.
		for (let i = 0; i < 4; i++) (await limit.enter()).leave('ok');
		expect(limit.current).toBe(4);
		(await limit.enter()).leave('ok');
		expect(limit.current).toBe(5);
		for (let i = 0; i < 20; i++) (await limit.enter()).leave('ok');
		expect(limit.current).toBe(6);
	});

	test('halves when the server says busy, down to 1 and never below', async () => {
		const clock = manualClock();
		const limit = new RequestLimit(8, clock.now);
		clock.advance(10);
		(await limit.enter()).leave('busy');
		expect(limit.current).toBe(2);
		clock.advance(10);
		(await limit.enter()).leave('busy');
		expect(limit.current).toBe(1);
		clock.advance(10);
		(await limit.enter()).leave('busy');
		expect(limit.current).toBe(1);
	});

	test('one halving per round: busy answers to requests sent before the last halving do not halve again', async () => {
		const clock = manualClock();
		const limit = new RequestLimit(8, clock.now);
		const round = await enterMany(limit, 4); // sent together
		clock.advance(50);
		for (const slot of round) slot.leave('busy'); // all four answered 419
		expect(limit.current).toBe(2);
		clock.advance(50);
		(await limit.enter()).leave('busy'); // sent after the halving: halves again
		expect(limit.current).toBe(1);
	});

	test('grows back after a halving while requests succeed (additive increase)', async () => {
		const clock = manualClock();
		const limit = new RequestLimit(8, clock.now);
		(await limit.enter()).leave('busy');
		expect(limit.current).toBe(2);
		// About one more for each limit's worth of successes.
		const successesUntil = async (target: number) => {
			let count = 0;
			while (limit.current < target) {
				(await limit.enter()).leave('ok');
				count++;
			}
			return count;
		};
		expect(await successesUntil(3)).toBe(3);
		expect(await successesUntil(4)).toBe(3);
		expect(await successesUntil(5)).toBe(5);
	});

	test('a sharply slower answer counts as the server slowing down; a slightly slower one does not', async () => {
		const clock = manualClock();
		const limit = new RequestLimit(8, clock.now);
		for (let i = 0; i < 3; i++) (await limit.enter()).leave('ok', 50);
		const before = limit.current;
		clock.advance(10);
		(await limit.enter()).leave('ok', 300); // 6× slower but only 250 ms more: not "sharply"
		expect(limit.current).toBeGreaterThanOrEqual(before);
		clock.advance(10);
		(await limit.enter()).leave('ok', 2_000); // 40× and 1.95 s slower
		expect(limit.current).toBeLessThan(before);
	});

	test('answers without a time (uploads) never count as slow', async () => {
		const limit = new RequestLimit(8);
		(await limit.enter()).leave('ok', 10);
		(await limit.enter()).leave('ok');
		expect(limit.current).toBe(4);
	});

	test('failures that are not "busy" (404, 500, resets) neither grow nor shrink it', async () => {
		const limit = new RequestLimit(8);
		for (let i = 0; i < 20; i++) (await limit.enter()).leave('other');
		expect(limit.current).toBe(4);
	});

	test('leaving twice frees one slot only', async () => {
		const limit = new RequestLimit(8);
		const slot = await limit.enter();
		slot.leave('other');
		slot.leave('other');
		expect(limit.active).toBe(0);
	});

	test('a request waiting for a slot is refused when its signal aborts (the execution stops)', async () => {
		const limit = new RequestLimit(1);
		const held = await limit.enter();
		const controller = new AbortController();
		const waiting = limit.enter(controller.signal);
		controller.abort();
		await expect(waiting).rejects.toBeInstanceOf(HaltedError);
		held.leave('other');
		expect(limit.active).toBe(0);
		// The refused request took no slot: the next one gets it at once.
		const next = await limit.enter();
		expect(limit.active).toBe(1);
		next.leave('other');
	});

	test("a request waiting for a slot gives up at its deadline (a wait's Timeout), taking no slot", async () => {
		// Regression: a wait's progress request could sit in the queue behind slow requests (uploads)
		// long past the wait's Timeout, which then did not hold.
		const limit = new RequestLimit(1);
		const held = await limit.enter();
		const waiting = limit.enter(undefined, true, Date.now() + 20);
		await expect(waiting).rejects.toBeInstanceOf(DeadlinePassed);
		held.leave('other');
		expect(limit.active).toBe(0);
		// One that got its slot before its deadline keeps it.
		const admitted = limit.enter(undefined, true, Date.now() + 20);
		expect(limit.active).toBe(1);
		await new Promise((resolve) => setTimeout(resolve, 40));
		(await admitted).leave('other');
		expect(limit.active).toBe(0);
	});

	test('an already aborted signal is refused at once', async () => {
		const controller = new AbortController();
		controller.abort();
		await expect(new RequestLimit(8).enter(controller.signal)).rejects.toBeInstanceOf(HaltedError);
	});

	test('the ceiling is what the run gives it (8 plus the node’s Concurrency): the limit grows to it, not past it', async () => {
		const limit = new RequestLimit(REQUEST_LIMIT.ceiling + 8);
		for (let i = 0; i < 200; i++) (await limit.enter()).leave('ok');
		expect(limit.current).toBe(16);
	});

	test('two limits sharing a server that takes 6 settle near 3 each (AIMD)', async () => {
		// A simple model: rounds in which each limit sends `current` requests; the server takes 6
		// in all and answers busy to the rest (spread fairly over the two).
		const clock = manualClock();
		const limits = [new RequestLimit(16, clock.now), new RequestLimit(16, clock.now)];
		const history: number[][] = [];
		for (let round = 0; round < 200; round++) {
			clock.advance(100);
			const slots = await Promise.all(limits.map((limit) => enterMany(limit, limit.current)));
			const total = slots.reduce((sum, s) => sum + s.length, 0);
			let capacity = 6;
			clock.advance(50);
			// Interleave answers so that neither limit is always served first.
			const queue = slots.flatMap((s, i) => s.map((slot) => ({ slot, i })));
			queue.sort((a, b) => ((a.i + round) % 2) - ((b.i + round) % 2));
			for (const { slot } of queue) slot.leave(capacity-- > 0 || total <= 6 ? 'ok' : 'busy');
			history.push(limits.map((limit) => limit.current));
		}
		const late = history.slice(100);
		const mean = (i: number) => late.reduce((sum, h) => sum + h[i], 0) / late.length;
		expect(Math.abs(mean(0) - mean(1))).toBeLessThan(1.5);
		expect(mean(0) + mean(1)).toBeGreaterThan(3);
		expect(mean(0) + mean(1)).toBeLessThan(10);
	});

	test('background requests (progress polls) wait while other requests are waiting', async () => {
		const limit = new RequestLimit(8);
		const held = await enterMany(limit, 4);
		const order: string[] = [];
		const polls = [1, 2].map(async (n) => {
			(await limit.enter(undefined, true)).leave('other');
			order.push(`poll ${n}`);
		});
		const uploads = [1, 2].map(async (n) => {
			(await limit.enter()).leave('other');
			order.push(`upload ${n}`);
		});
		// A background request asks while another is waiting: it waits even for a free slot.
		for (const slot of held) slot.leave('other');
		await Promise.all([...polls, ...uploads]);
		expect(order.indexOf('upload 1')).toBeLessThan(order.indexOf('poll 1'));
		expect(order.indexOf('upload 2')).toBeLessThan(order.indexOf('poll 1'));
	});

	test('a background request goes out at once when nothing waits', async () => {
		const limit = new RequestLimit(8);
		const slot = await limit.enter(undefined, true);
		expect(limit.active).toBe(1);
		slot.leave('other');
	});
});
