import type { IExecuteFunctions, ILoadOptionsFunctions, IPollFunctions } from 'n8n-workflow';

import { cancelSignalOf } from '../shared/pause';
import { REQUEST_LIMIT, RequestLimit } from './requestLimit';

export type EverGisFunctions = IExecuteFunctions | ILoadOptionsFunctions | IPollFunctions;

/**
 * What the requests of one execution of a node (or one trigger poll) share: the limit on requests
 * in flight, the switch that stops them when the node is failing, and the tasks they created.
 * Keyed by n8n's context object, which is the same for every request of that execution.
 */
export interface ExecutionRequests {
	readonly limit: RequestLimit;
	/** Aborted when the execution is canceled or the node stops (fail fast). */
	stopSignal: AbortSignal;
	stop: () => void;
	/** Tiling tasks created so far, in order: named in the node's error if it fails. */
	submittedTaskIds: string[];
}

const executions = new WeakMap<object, ExecutionRequests>();

export function requestsOf(context: EverGisFunctions): ExecutionRequests {
	let requests = executions.get(context);
	if (!requests) {
		const stopping = new AbortController();
		const canceled = cancelSignalOf(context);
		requests = {
			limit: new RequestLimit(REQUEST_LIMIT.ceiling),
			stopSignal: canceled ? AbortSignal.any([canceled, stopping.signal]) : stopping.signal,
			stop: () => stopping.abort(),
			submittedTaskIds: [],
		};
		executions.set(context, requests);
	}
	return requests;
}

/**
 * The node's items (up to Concurrency at a time) upload and submit while the wait asks for the
 * progress of the tasks already submitted: the limit may grow to room for both.
 */
export function allowItemsAtOnce(context: EverGisFunctions, concurrency: number): void {
	requestsOf(context).limit.raiseCeiling(REQUEST_LIMIT.ceiling + concurrency);
}

/** Stops this execution's requests: those waiting for a slot, retries, uploads in flight. */
export function stopRequests(context: EverGisFunctions): void {
	requestsOf(context).stop();
}

export function isStopped(context: EverGisFunctions): boolean {
	return requestsOf(context).stopSignal.aborted;
}
