import type { IExecuteFunctions, ILoadOptionsFunctions, IPollFunctions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

/** The execution's cancel signal, where the context has one (executions do; polls and pickers not). */
export function cancelSignalOf(
	context: IExecuteFunctions | ILoadOptionsFunctions | IPollFunctions,
): AbortSignal | undefined {
	return 'getExecutionCancelSignal' in context ? context.getExecutionCancelSignal() : undefined;
}

/**
 * Waits `ms`, and stops waiting (rejects) as soon as `signal` aborts. n8n-workflow's `sleep`
 * honours the signal only from 2.34.0 (older releases ignore it, and a canceled execution would
 * sit out the whole wait), so the abort is listened for here as well.
 */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
	if (signal === undefined) return await sleep(ms);
	if (signal.aborted) throw new Error('The execution was canceled');
	let onAbort: (() => void) | undefined;
	const aborted = new Promise<never>((_resolve, reject) => {
		onAbort = () => reject(new Error('The execution was canceled'));
		signal.addEventListener('abort', onAbort, { once: true });
	});
	try {
		await Promise.race([sleep(ms, signal), aborted]);
	} finally {
		if (onAbort) signal.removeEventListener('abort', onAbort);
	}
}
