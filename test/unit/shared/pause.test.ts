/**
 * pause() must stop on the execution's cancel in every n8n: n8n-workflow's own sleep ignores the
 * signal before 2.34.0. Here that older sleep is stood in for by one that never looks at it.
 */
jest.mock('n8n-workflow', () => {
	const actual = jest.requireActual('n8n-workflow');
	return {
		...actual,
		sleep: jest.fn(
			async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms).unref()),
		),
	};
});

import { sleep } from 'n8n-workflow';

import { pause, whenAborted } from '../../../nodes/EverGis/shared/pause';

describe('pause', () => {
	test('waits the whole time when nothing cancels it', async () => {
		const started = Date.now();
		await pause(50, new AbortController().signal);
		expect(Date.now() - started).toBeGreaterThanOrEqual(45);
	});

	test('an abort ends the wait at once, even with a sleep that ignores the signal', async () => {
		const controller = new AbortController();
		const started = Date.now();
		const waiting = pause(3_000, controller.signal);
		setTimeout(() => controller.abort(), 20);
		await expect(waiting).rejects.toThrow('canceled');
		expect(Date.now() - started).toBeLessThan(1_500);
		expect(sleep).toHaveBeenCalledWith(3_000, expect.any(AbortSignal));
	});

	test('an already aborted signal rejects without sleeping', async () => {
		const controller = new AbortController();
		controller.abort();
		(sleep as jest.Mock).mockClear();
		await expect(pause(30_000, controller.signal)).rejects.toThrow('canceled');
		expect(sleep).not.toHaveBeenCalled();
	});

	test('without a signal it is a plain sleep', async () => {
		(sleep as jest.Mock).mockClear();
		await pause(1);
		expect(sleep).toHaveBeenCalledWith(1);
	});
});

describe('whenAborted', () => {
	test('many waiters on one signal: each is called once, through one listener (no leak warning)', async () => {
		const warnings: Error[] = [];
		const onWarning = (warning: Error) => warnings.push(warning);
		process.on('warning', onWarning);
		try {
			const controller = new AbortController();
			const called: number[] = [];
			const forgets = Array.from({ length: 50 }, (_, i) =>
				whenAborted(controller.signal, () => called.push(i)),
			);
			const waits = Array.from(
				{ length: 50 },
				async () => await pause(10_000, controller.signal).catch(() => 'stopped'),
			);
			forgets[7]();
			controller.abort();
			expect(await Promise.all(waits)).toEqual(Array.from({ length: 50 }, () => 'stopped'));
			expect(called).toHaveLength(49);
			expect(called).not.toContain(7);
			await new Promise((resolve) => setImmediate(resolve));
			expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
		} finally {
			process.off('warning', onWarning);
		}
	});
});
