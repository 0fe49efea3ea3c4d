import type { IDataObject } from 'n8n-workflow';
import { UserError } from 'n8n-workflow';

export interface WaitOptions {
	pollIntervalMs: number;
	timeoutMs: number;
	outputFailedTasks: boolean;
}

/** Reads Poll Interval, Timeout and Output Failed Tasks as Items from an operation's options. */
export function waitOptionsFrom(options: IDataObject): WaitOptions {
	const pollInterval = options.pollInterval === undefined ? 5 : Number(options.pollInterval);
	const timeout = options.timeout === undefined ? 3600 : Number(options.timeout);
	if (!Number.isFinite(pollInterval) || pollInterval <= 0) {
		throw new UserError(
			`Poll Interval must be a positive number of seconds, not '${String(options.pollInterval)}'`,
			{
				description: 'Set Options → Poll Interval to, e.g., 5.',
			},
		);
	}
	if (!Number.isFinite(timeout) || timeout <= 0) {
		throw new UserError(
			`Timeout must be a positive number of seconds, not '${String(options.timeout)}'`,
			{
				description: 'Set Options → Timeout to, e.g., 3600.',
			},
		);
	}
	return {
		pollIntervalMs: Math.round(pollInterval * 1000),
		timeoutMs: Math.round(timeout * 1000),
		outputFailedTasks: options.outputFailedTasks === true,
	};
}
