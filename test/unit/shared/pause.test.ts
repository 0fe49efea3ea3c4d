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

import type { IPollFunctions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import { pause, whenAborted } from '../../../nodes/EverGis/shared/pause';
import { EverGisRun } from '../../../nodes/EverGis/transport/run';

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
		await expect(waiting).rejects.toThrow(expect.objectContaining({ name: 'AbortError' }));
		expect(Date.now() - started).toBeLessThan(1_500);
		expect(sleep).toHaveBeenCalledWith(3_000, expect.any(AbortSignal));
	});

	test('an already aborted signal rejects without sleeping', async () => {
		const controller = new AbortController();
		controller.abort();
		(sleep as jest.Mock).mockClear();
		await expect(pause(30_000, controller.signal)).rejects.toThrow(
			expect.objectContaining({ name: 'AbortError' }),
		);
		expect(sleep).not.toHaveBeenCalled();
	});

	test.each([
		['canceled', 'The execution was canceled'],
		['itemFailed', 'Stopped: another item of this execution failed'],
		['outOfTime', "Stopped: the poll's time ran out"],
	] as const)(
		'a run that stops (%s) ends the wait with why it stopped',
		async (reason, message) => {
			// Regression: every stop said "The execution was canceled", so a poll whose time ran out
			// during the token's pause became an error execution that said the execution was canceled.
			const run = new EverGisRun({} as IPollFunctions);
			const waiting = pause(30_000, run.signal);
			run.stop(reason);
			await expect(waiting).rejects.toThrow(message);
			await expect(pause(30_000, run.signal)).rejects.toThrow(message);
		},
	);

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
