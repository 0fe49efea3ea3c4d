import type { IDataObject } from 'n8n-workflow';

import {
	noteStatus,
	pruneState,
	readState,
	writeState,
} from '../../../nodes/EverGis/trigger/watchedTasks';

describe('readState', () => {
	test('fresh static data → nothing ended', () => {
		expect(readState({})).toEqual({ ended: {} });
	});

	test('the stored map is read', () => {
		expect(readState({ ended: { 'task-1': 'Completed', 'task-2': 'Failed' } })).toEqual({
			ended: { 'task-1': 'Completed', 'task-2': 'Failed' },
		});
	});

	test('a copy is returned: changing it does not change static data', () => {
		const staticData: IDataObject = { ended: { 'task-1': 'Completed' } };
		const state = readState(staticData);
		state.ended['task-2'] = 'Failed';
		expect(staticData.ended).toEqual({ 'task-1': 'Completed' });
	});

	test.each([null, 'Completed', 42, ['task-1'], true])(
		'garbage in static data (%p) is read as nothing ended',
		(ended) => {
			expect(readState({ ended } as IDataObject)).toEqual({ ended: {} });
		},
	);

	test('other keys of static data are ignored', () => {
		expect(readState({ lastPoll: 123, ended: { a: 'Timeout' } })).toEqual({
			ended: { a: 'Timeout' },
		});
	});
});

describe('writeState', () => {
	test('writes a changed state', () => {
		const staticData: IDataObject = {};
		writeState(staticData, { ended: { 'task-1': 'Completed' } });
		expect(staticData).toEqual({ ended: { 'task-1': 'Completed' } });
	});

	test('leaves static data untouched (same object) when nothing changed', () => {
		const stored = { 'task-1': 'Completed' };
		const staticData: IDataObject = { ended: stored };
		writeState(staticData, { ended: { 'task-1': 'Completed' } });
		expect(staticData.ended).toBe(stored);
	});

	test('an empty state on fresh static data adds nothing', () => {
		const staticData: IDataObject = {};
		writeState(staticData, { ended: {} });
		expect(staticData).toEqual({});
		expect('ended' in staticData).toBe(false);
	});

	test('an emptied state is written (the last watched task was removed)', () => {
		const staticData: IDataObject = { ended: { 'task-1': 'Completed' } };
		writeState(staticData, { ended: {} });
		expect(staticData.ended).toEqual({});
	});

	test('other keys of static data are kept', () => {
		const staticData: IDataObject = { other: 1 };
		writeState(staticData, { ended: { a: 'Failed' } });
		expect(staticData).toEqual({ other: 1, ended: { a: 'Failed' } });
	});

	test('read → write round trip', () => {
		const staticData: IDataObject = {};
		const state = readState(staticData);
		state.ended['task-9'] = 'Canceled';
		writeState(staticData, state);
		expect(readState(staticData)).toEqual({ ended: { 'task-9': 'Canceled' } });
	});
});

describe('pruneState', () => {
	test('keeps only the tasks still watched', () => {
		const state = { ended: { a: 'Completed', b: 'Failed', c: 'Timeout' } };
		expect(pruneState(state, ['c', 'a', 'new'])).toEqual({
			ended: { a: 'Completed', c: 'Timeout' },
		});
	});

	test('an empty watch list forgets everything', () => {
		expect(pruneState({ ended: { a: 'Completed' } }, [])).toEqual({ ended: {} });
	});

	test('does not change the state it is given', () => {
		const state = { ended: { a: 'Completed', b: 'Failed' } };
		pruneState(state, ['a']);
		expect(state).toEqual({ ended: { a: 'Completed', b: 'Failed' } });
	});

	test('the state never grows beyond the watch list', () => {
		const ended: Record<string, string> = {};
		for (let i = 0; i < 100; i++) ended[`task-${i}`] = 'Completed';
		const watched = ['task-1', 'task-50', 'task-200'];
		expect(Object.keys(pruneState({ ended }, watched).ended).sort()).toEqual(
			['task-1', 'task-50'].sort(),
		);
	});
});

describe('since when a task says Unknown', () => {
	const t0 = new Date('2026-12-01T10:00:00.000Z');
	const t1 = new Date('2026-12-01T10:01:00.000Z');

	test('from the first poll that saw it; another status forgets it', () => {
		const state = readState({});
		expect(noteStatus(state, 'a', 'Executing', t0)).toBeUndefined();
		expect(noteStatus(state, 'a', 'Unknown', t0)).toBe(t0.getTime());
		expect(noteStatus(state, 'a', 'Unknown', t1)).toBe(t0.getTime());
		expect(state.unknownSince).toEqual({ a: t0.toISOString() });
		expect(noteStatus(state, 'a', 'Executing', t1)).toBeUndefined();
		expect(state.unknownSince).toBeUndefined();
		expect(noteStatus(state, 'a', 'Unknown', t1)).toBe(t1.getTime());
	});

	test('kept in static data between polls, and dropped when written empty', () => {
		const staticData: IDataObject = {};
		const state = readState(staticData);
		noteStatus(state, 'a', 'Unknown', t0);
		writeState(staticData, state);
		expect(readState(staticData).unknownSince).toEqual({ a: t0.toISOString() });
		const next = readState(staticData);
		noteStatus(next, 'a', 'Completed', t1);
		writeState(staticData, next);
		expect(staticData).not.toHaveProperty('unknownSince');
	});

	test('pruned with the watch list, and for tasks that have ended', () => {
		const state = {
			ended: { b: 'Unknown' },
			unknownSince: { a: t0.toISOString(), b: t0.toISOString(), c: t0.toISOString() },
		};
		expect(pruneState(state, ['a', 'b'])).toEqual({
			ended: { b: 'Unknown' },
			unknownSince: { a: t0.toISOString() },
		});
	});
});
