import type { IExecuteFunctions, ILoadOptionsFunctions, IPollFunctions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

/** The execution's cancel signal, where the context has one (executions do; polls and pickers not). */
export function cancelSignalOf(
	context: IExecuteFunctions | ILoadOptionsFunctions | IPollFunctions,
): AbortSignal | undefined {
	return 'getExecutionCancelSignal' in context ? context.getExecutionCancelSignal() : undefined;
}

const onAbort = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `callback` once when `signal` aborts, and returns what forgets it. One listener per signal,
 * however many requests wait on it: Node warns of a leak past ten listeners on one signal, and a
 * batch has many more requests waiting for their turn.
 */
export function whenAborted(signal: AbortSignal, callback: () => void): () => void {
	let callbacks = onAbort.get(signal);
	if (!callbacks) {
		const waiting = new Set<() => void>();
		callbacks = waiting;
		onAbort.set(signal, waiting);
		signal.addEventListener(
			'abort',
			() => {
				for (const call of [...waiting]) call();
				waiting.clear();
			},
			{ once: true },
		);
	}
	const own = () => callback();
	callbacks.add(own);
	return () => callbacks.delete(own);
}

/**
 * Waits `ms`, and stops waiting (rejects) as soon as `signal` aborts, with what the signal aborted
 * with: a run's signal says why it stopped (transport/run.ts: canceled, another item failed, the
 * poll's time ran out). n8n-workflow's `sleep` honours a signal only from 2.34.0 (older releases
 * ignore it, and a canceled execution would sit out the whole wait), so the abort is listened for
 * here as well.
 */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
	if (signal === undefined) return await sleep(ms);
	if (signal.aborted) throw whyAborted(signal);
	const own = new AbortController();
	const forget = whenAborted(signal, () => own.abort());
	try {
		await Promise.race([
			sleep(ms, own.signal),
			new Promise<never>((_resolve, reject) =>
				own.signal.addEventListener('abort', () => reject(whyAborted(signal)), { once: true }),
			),
		]);
	} finally {
		forget();
	}
}

/** The error a signal aborted with (its reason: an AbortError unless the signal was given one). */
function whyAborted(signal: AbortSignal): Error {
	const reason: unknown = signal.reason;
	// Not `instanceof Error`: the default reason is a DOMException, of another realm in some hosts.
	if (typeof (reason as Error | undefined)?.message === 'string') return reason as Error;
	return Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
}
