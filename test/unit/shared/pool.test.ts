import { mapWithConcurrency } from '../../../nodes/EverGis/shared/pool';

/** A promise the test settles by hand. */
function deferred<T = void>() {
	let resolve!: (value: T) => void;
	let reject!: (reason: unknown) => void;
	const promise = new Promise<T>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
}

/** Lets every pending promise callback run. */
async function flush() {
	for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Work that records how many pieces run at once, and finishes after a short, varied delay. */
function meter() {
	let inFlight = 0;
	let maxInFlight = 0;
	const started: number[] = [];
	const work = async (input: number, index: number) => {
		started.push(index);
		inFlight++;
		maxInFlight = Math.max(maxInFlight, inFlight);
		try {
			await new Promise((resolve) => setTimeout(resolve, (input * 7) % 5));
			return input * 10;
		} finally {
			inFlight--;
		}
	};
	return {
		work,
		started,
		get max() {
			return maxInFlight;
		},
		get inFlight() {
			return inFlight;
		},
	};
}

const inputs = Array.from({ length: 20 }, (_, i) => i);

describe('mapWithConcurrency', () => {
	test('results keep the input order, whatever order the work finishes in', async () => {
		const results = await mapWithConcurrency([30, 1, 20, 2, 10], 5, async (ms) => {
			await new Promise((resolve) => setTimeout(resolve, ms));
			return `done ${ms}`;
		});
		expect(results).toEqual(
			[30, 1, 20, 2, 10].map((ms) => ({ status: 'fulfilled', value: `done ${ms}` })),
		);
	});

	test.each([1, 2, 3, 7, 20, 50])(
		'never more than %p pieces at once, and the limit is used',
		async (limit) => {
			const m = meter();
			const results = await mapWithConcurrency(inputs, limit, m.work);
			expect(m.max).toBeLessThanOrEqual(limit);
			expect(m.max).toBe(Math.min(limit, inputs.length));
			expect(m.inFlight).toBe(0);
			expect(results.map((r) => r?.status === 'fulfilled' && r.value)).toEqual(
				inputs.map((i) => i * 10),
			);
		},
	);

	test('pieces start in input order, each exactly once, with its index', async () => {
		const m = meter();
		await mapWithConcurrency(inputs, 3, m.work);
		expect(m.started).toEqual(inputs);
	});

	test.each([0, -3, Number.NaN, 0.5])('a nonsense limit (%p) runs one at a time', async (limit) => {
		const m = meter();
		const results = await mapWithConcurrency(inputs.slice(0, 5), limit, m.work);
		expect(m.max).toBe(1);
		expect(results).toHaveLength(5);
	});

	test('a fractional limit is rounded down', async () => {
		const m = meter();
		await mapWithConcurrency(inputs, 2.9, m.work);
		expect(m.max).toBe(2);
	});

	test('no inputs: no work, empty result', async () => {
		const work = jest.fn(async () => 1);
		expect(await mapWithConcurrency([], 4, work)).toEqual([]);
		expect(work).not.toHaveBeenCalled();
	});

	test('a failure is kept as a rejected result and the others still run', async () => {
		const boom = new Error('upload 2 failed');
		const results = await mapWithConcurrency(['a', 'b', 'c', 'd'], 2, async (input, index) => {
			if (index === 1) throw boom;
			return input.toUpperCase();
		});
		expect(results).toEqual([
			{ status: 'fulfilled', value: 'A' },
			{ status: 'rejected', reason: boom },
			{ status: 'fulfilled', value: 'C' },
			{ status: 'fulfilled', value: 'D' },
		]);
		expect((results[1] as PromiseRejectedResult).reason).toBe(boom);
	});

	test('a synchronous throw inside work is kept as a rejected result too', async () => {
		const results = await mapWithConcurrency([1, 2], 2, ((input: number) => {
			if (input === 1) throw new Error('sync');
			return Promise.resolve(input);
		}) as (input: number) => Promise<number>);
		expect(results[0]).toMatchObject({ status: 'rejected', reason: new Error('sync') });
		expect(results[1]).toEqual({ status: 'fulfilled', value: 2 });
	});

	test('every piece failing still returns, with every failure', async () => {
		const results = await mapWithConcurrency([1, 2, 3], 2, async (input) => {
			throw new Error(`e${input}`);
		});
		expect(results.map((r) => r?.status)).toEqual(['rejected', 'rejected', 'rejected']);
	});

	test('shouldStop: no new piece starts, started ones are awaited, the rest stay undefined', async () => {
		const gates = Array.from({ length: 6 }, () => deferred<string>());
		const started: number[] = [];
		const finished: number[] = [];
		let stop = false;
		const call = mapWithConcurrency(
			gates.map((_, i) => i),
			2,
			async (i) => {
				started.push(i);
				const value = await gates[i].promise;
				finished.push(i);
				return value;
			},
			() => stop,
		);
		let settled = false;
		void call.then(() => (settled = true));

		await flush();
		expect(started).toEqual([0, 1]);
		gates[0].resolve('zero');
		await flush();
		expect(started).toEqual([0, 1, 2]);

		// Stop while 1 and 2 are running.
		stop = true;
		gates[1].resolve('one');
		await flush();
		expect(started).toEqual([0, 1, 2]);
		expect(settled).toBe(false); // 2 is still running: the call must wait for it

		gates[2].reject(new Error('two failed'));
		const results = await call;
		expect(started).toEqual([0, 1, 2]);
		expect(finished).toEqual([0, 1]);
		expect(results).toHaveLength(6);
		expect(results[0]).toEqual({ status: 'fulfilled', value: 'zero' });
		expect(results[1]).toEqual({ status: 'fulfilled', value: 'one' });
		expect(results[2]).toMatchObject({ status: 'rejected' });
		expect(results[3]).toBeUndefined();
		expect(results[4]).toBeUndefined();
		expect(results[5]).toBeUndefined();
	});

	test('shouldStop already true: nothing starts', async () => {
		const work = jest.fn(async () => 1);
		const results = await mapWithConcurrency([1, 2, 3], 2, work, () => true);
		expect(work).not.toHaveBeenCalled();
		expect(results).toHaveLength(3);
		expect(results.every((r) => r === undefined)).toBe(true);
	});
});
