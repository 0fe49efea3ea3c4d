import type { IExecuteFunctions } from 'n8n-workflow';

import { apiError } from '../../../nodes/EverGis/transport/errors';
import { factsOf } from '../../../nodes/EverGis/transport/failure';
import { EverGisRun } from '../../../nodes/EverGis/transport/run';
import { NODE } from '../helpers/httpErrors';

/** An execution context with n8n's cancel signal, as n8n-core's ExecuteContext gives one. */
function executionWith(cancel: AbortController): IExecuteFunctions {
	return { getExecutionCancelSignal: () => cancel.signal } as unknown as IExecuteFunctions;
}

const UPLOAD = { action: "uploading 'scene.tif'", kind: 'upload' as const, itemIndex: 2 };
const CONTEXT = { host: 'https://x/sp', attempts: 1, secrets: [] };

describe('EverGisRun: why a run stopped', () => {
	test('n8n cancels the execution: the run stops, and says canceled even when an item fails after', () => {
		const cancel = new AbortController();
		const run = new EverGisRun(executionWith(cancel));
		expect(run.stopReason).toBeUndefined();
		cancel.abort();
		run.stop('itemFailed');
		expect(run.signal.aborted).toBe(true);
		expect(run.stopReason).toBe('canceled');
	});

	test('an item fails first: fail fast, even if n8n cancels later', () => {
		const cancel = new AbortController();
		const run = new EverGisRun(executionWith(cancel));
		run.stop('itemFailed');
		cancel.abort();
		expect(run.stopReason).toBe('itemFailed');
	});

	test('a request stopped by a cancel says the execution was canceled, not that another item failed', () => {
		// Regression: cancel and fail fast shared one signal, and the message checked "stopped" first.
		const cancel = new AbortController();
		const run = new EverGisRun(executionWith(cancel));
		cancel.abort();
		const aborted = Object.assign(new Error('canceled'), { name: 'CanceledError' });
		const error = apiError(NODE, factsOf(aborted), UPLOAD, {
			...CONTEXT,
			stopReason: run.stopReason,
		});
		expect(error.message).toBe("Stopped while uploading 'scene.tif': the execution was canceled");
		const failing = apiError(NODE, factsOf(aborted), UPLOAD, {
			...CONTEXT,
			stopReason: 'itemFailed',
		});
		expect(failing.message).toBe(
			"Stopped while uploading 'scene.tif': another item of this execution failed",
		);
	});

	test('what the signal aborts with is an AbortError (a stopped upload reads as stopped, not as a fault)', () => {
		const run = new EverGisRun({} as IExecuteFunctions);
		run.stop('itemFailed');
		expect(() => run.signal.throwIfAborted()).toThrow(
			expect.objectContaining({ name: 'AbortError' }),
		);
		expect(factsOf(run.signal.reason).canceled).toBe(true);
	});
});
