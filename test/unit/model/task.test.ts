import {
	failureReason,
	progressSummary,
	tilesCreated,
	type StepResult,
	type TaskProgress,
} from '../../../nodes/EverGis/model/task';
import { CANCELED, COPY_COMPLETED, TILING_COMPLETED } from '../fixtures/docsProgress';

function step(overrides: Partial<StepResult>): StepResult {
	return {
		stepName: null,
		startedTime: null,
		endedTime: null,
		batchErrors: null,
		batchCount: 1,
		inputObjectCount: 1,
		errorCount: 0,
		outputObjectCount: 1,
		resultDetails: null,
		...overrides,
	};
}

function progress(status: string, taskResult: TaskProgress['taskResult']): TaskProgress {
	return { id: 'task-1', status, taskResult };
}

/** A failure as the API docs describe one: HTTP 200, status Failed, why in batchErrors. */
const FAILED_WITH_BATCH_ERRORS = progress('Failed', {
	message: null,
	stepResults: [
		step({
			startedTime: '2023-12-18T01:08:18Z',
			endedTime: '2023-12-18T01:08:19Z',
			batchErrors: ['File landsat_test_image.tif is not a raster', null as unknown as string],
			errorCount: 1,
			outputObjectCount: 0,
		}),
		step({ batchErrors: ['Second step: no space left'], errorCount: 1 }),
	],
	inputObjectCount: 1,
	errorCount: 2,
	outputObjectCount: 0,
});

describe('tilesCreated', () => {
	test("the docs' tiling example created 97 tiles", () => {
		expect(tilesCreated(TILING_COMPLETED)).toBe(97);
	});

	test("the docs' copy example reports no tiles: null, not 0", () => {
		expect(tilesCreated(COPY_COMPLETED)).toBeNull();
	});

	test('the cancel answer (stepResults null) → null', () => {
		expect(tilesCreated(CANCELED)).toBeNull();
	});

	test('no taskResult (a scheduled task) → null', () => {
		expect(tilesCreated({ taskResult: null })).toBeNull();
	});

	test('steps are summed; steps without the detail are skipped', () => {
		const answer = progress('Completed', {
			message: null,
			stepResults: [
				step({ resultDetails: { 'Tiles created': 97 } }),
				step({ resultDetails: null }),
				step({ resultDetails: { 'Tiles created': '3' } }),
				step({ resultDetails: { other: 5 } }),
			],
			inputObjectCount: 3,
			errorCount: 0,
			outputObjectCount: 3,
		});
		expect(tilesCreated(answer)).toBe(100);
	});

	test('0 tiles is 0, not null', () => {
		const answer = progress('Completed', {
			message: null,
			stepResults: [step({ resultDetails: { 'Tiles created': 0 } })],
			inputObjectCount: 1,
			errorCount: 0,
			outputObjectCount: 1,
		});
		expect(tilesCreated(answer)).toBe(0);
	});

	test('a non-numeric count is skipped', () => {
		const answer = progress('Completed', {
			message: null,
			stepResults: [step({ resultDetails: { 'Tiles created': 'many' } })],
			inputObjectCount: 1,
			errorCount: 0,
			outputObjectCount: 1,
		});
		expect(tilesCreated(answer)).toBeNull();
	});
});

describe('failureReason', () => {
	test("the cancel answer's message, in the server's words", () => {
		expect(failureReason(CANCELED)).toBe('Cancelled by external request.');
	});

	test('without a message: the batch errors of every step, joined, empty ones left out', () => {
		expect(failureReason(FAILED_WITH_BATCH_ERRORS)).toBe(
			'File landsat_test_image.tif is not a raster; Second step: no space left',
		);
	});

	test('the message wins over batch errors', () => {
		const answer = progress('Failed', {
			...FAILED_WITH_BATCH_ERRORS.taskResult!,
			message: 'Tiling failed',
		});
		expect(failureReason(answer)).toBe('Tiling failed');
	});

	// Red before: an object in batchErrors came out as "[object Object]". What a batch error is, no
	// source shows (the docs only ever show null).
	test('batch errors that are objects: their words (any error shape), else their JSON', () => {
		const answer = progress('Failed', {
			...FAILED_WITH_BATCH_ERRORS.taskResult!,
			stepResults: [
				step({
					batchErrors: [
						{ message: 'File a.tif is not a raster', objectId: 1 },
						{ errorType: 'InternalError', message: null, statusCode: 500 },
						{ title: 'Bad Request', detail: 'b.tif: no georeference' },
						{ code: 7 },
						'c.tif: empty',
					],
				}),
			],
		});
		expect(failureReason(answer)).toBe(
			'File a.tif is not a raster; InternalError; b.tif: no georeference; {"code":7}; c.tif: empty',
		);
	});

	test('an Unknown that lasted its grace: says so, and what to do', () => {
		expect(failureReason(progress('Unknown', null))).toBe(
			"EverGIS said 'Unknown' for 10 minutes and never that the task completed; look at the task in EverGIS",
		);
	});

	test('with nothing said, the status is named', () => {
		expect(failureReason(progress('Timeout', null))).toBe('the task ended with status Timeout');
		expect(failureReason({ ...COPY_COMPLETED, status: 'Failed' })).toBe(
			'the task ended with status Failed',
		);
	});
});

describe('progressSummary', () => {
	test("the docs' tiling example", () => {
		expect(progressSummary(TILING_COMPLETED)).toStrictEqual({
			taskId: '91126928-4189-4c20-890a-fc5c56001d26',
			status: 'Completed',
			finished: true,
			succeeded: true,
			failed: false,
			message: null,
			tilesCreated: 97,
			errorCount: 0,
			startedTime: '2023-12-18T01:08:18.0832029Z',
			endedTime: '2023-12-18T01:08:26.4759883Z',
			taskResult: TILING_COMPLETED.taskResult,
		});
	});

	test("the docs' copy example: finished, no tiles", () => {
		const summary = progressSummary(COPY_COMPLETED);
		expect(summary).toMatchObject({
			taskId: '1c8d7949-e460-4bec-8f70-958df5e88079',
			finished: true,
			succeeded: true,
			failed: false,
			tilesCreated: null,
			startedTime: '2023-12-08T12:15:16.7017739Z',
			endedTime: '2023-12-08T12:15:16.7146577Z',
		});
	});

	test("the docs' cancel answer: finished, failed, with the server's message", () => {
		expect(progressSummary(CANCELED)).toStrictEqual({
			taskId: 'e811e81f-5f46-4e47-9252-d800637a349e',
			status: 'Canceled',
			finished: true,
			succeeded: false,
			failed: true,
			message: 'Cancelled by external request.',
			tilesCreated: null,
			errorCount: 0,
			startedTime: null,
			endedTime: null,
			taskResult: CANCELED.taskResult,
		});
	});

	test('a just-created task (taskResult null) is running, with empty facts', () => {
		expect(progressSummary(progress('Scheduled', null))).toStrictEqual({
			taskId: 'task-1',
			status: 'Scheduled',
			finished: false,
			succeeded: false,
			failed: false,
			message: null,
			tilesCreated: null,
			errorCount: 0,
			startedTime: null,
			endedTime: null,
			taskResult: null,
		});
	});

	test('Unknown: running at first sight; ended and failed when the caller says it has ended', () => {
		expect(progressSummary(progress('Unknown', null))).toMatchObject({
			finished: false,
			succeeded: false,
			failed: false,
		});
		expect(progressSummary(progress('Unknown', null), { ended: true })).toMatchObject({
			finished: true,
			succeeded: false,
			failed: true,
		});
	});

	test('an unknown status is reported as still running', () => {
		expect(progressSummary(progress('Paused', null))).toMatchObject({
			finished: false,
			succeeded: false,
			failed: false,
		});
	});

	test('several steps: the earliest start and the latest end', () => {
		const answer = progress('Executing', {
			message: null,
			stepResults: [
				step({ startedTime: '2023-12-18T01:08:20Z', endedTime: '2023-12-18T01:08:30Z' }),
				step({ startedTime: '2023-12-18T01:08:10Z', endedTime: '2023-12-18T01:08:40Z' }),
				step({ startedTime: '2023-12-18T01:08:41Z', endedTime: null }),
			],
			inputObjectCount: 3,
			errorCount: 0,
			outputObjectCount: 2,
		});
		expect(progressSummary(answer)).toMatchObject({
			finished: false,
			startedTime: '2023-12-18T01:08:10Z',
			endedTime: '2023-12-18T01:08:40Z',
		});
	});

	test('a failure carries its error count', () => {
		expect(progressSummary(FAILED_WITH_BATCH_ERRORS)).toMatchObject({
			failed: true,
			errorCount: 2,
			message: null,
		});
	});

	test('does not change the answer it summarises', () => {
		const copy = JSON.parse(JSON.stringify(TILING_COMPLETED));
		progressSummary(TILING_COMPLETED);
		expect(TILING_COMPLETED).toStrictEqual(copy);
	});
});
