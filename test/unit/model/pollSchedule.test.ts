import { pollDelayMs } from '../../../nodes/EverGis/model/pollSchedule';

// What the schedule costs a task of 30 minutes at full scale is measured by the bench (polling
// section, docs/BENCHMARKS.md); the engine test of Task → Wait for Completion runs it against the sandbox.

describe('pollDelayMs', () => {
	test('a young task is asked every Poll Interval', () => {
		expect(pollDelayMs(0, 5_000)).toBe(5_000);
		expect(pollDelayMs(39_000, 5_000)).toBe(5_000);
	});

	test('an older task is asked after an eighth of its age', () => {
		expect(pollDelayMs(80_000, 5_000)).toBe(10_000);
		expect(pollDelayMs(800_000, 5_000)).toBe(100_000);
	});

	test('never more than 5 minutes apart, unless the Poll Interval is longer', () => {
		expect(pollDelayMs(10 * 3_600_000, 5_000)).toBe(300_000);
		expect(pollDelayMs(10 * 3_600_000, 600_000)).toBe(600_000);
		expect(pollDelayMs(0, 600_000)).toBe(600_000);
	});
});
