import type { IDataObject } from 'n8n-workflow';

import { pruneState, readState, writeState } from '../../../nodes/EverGis/trigger/watchedTasks';

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
