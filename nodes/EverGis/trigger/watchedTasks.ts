import type { IDataObject } from 'n8n-workflow';

import { UNKNOWN_STATUS } from '../model/statuses';

/**
 * What the trigger remembers between polls, in the node's static data: the watched tasks that have
 * ended (ID → status), so each fires once. Only tasks still on the watch list are kept, so the
 * state never grows beyond the list.
 */
export interface TriggerState {
	ended: Record<string, string>;
	/**
	 * The watched task the next poll asks first, when a poll ran out of time before it had asked
	 * every task: each poll goes on where the last one stopped, so no task waits for ever.
	 */
	askFrom?: string;
	/**
	 * The watched tasks that say Unknown: since when (ISO), from the first poll that saw it without
	 * another status since. Such a task has ended once it said so for its grace (model/statuses.ts).
	 */
	unknownSince?: Record<string, string>;
}

export function readState(staticData: IDataObject): TriggerState {
	const ended = staticData.ended;
	return {
		ended:
			ended && typeof ended === 'object' && !Array.isArray(ended)
				? { ...(ended as Record<string, string>) }
				: {},
		...(typeof staticData.askFrom === 'string' ? { askFrom: staticData.askFrom } : {}),
		...(isRecord(staticData.unknownSince)
			? { unknownSince: { ...(staticData.unknownSince as Record<string, string>) } }
			: {}),
	};
}

function isRecord(value: unknown): boolean {
	return Boolean(value) && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Notes what a task said: since when it has said Unknown (ms since the epoch), or nothing when it
 * said something else.
 */
export function noteStatus(
	state: TriggerState,
	taskId: string,
	status: string,
	now: Date,
): number | undefined {
	const since = { ...state.unknownSince };
	if (status === UNKNOWN_STATUS) since[taskId] ??= now.toISOString();
	else delete since[taskId];
	state.unknownSince = Object.keys(since).length > 0 ? since : undefined;
	return since[taskId] === undefined ? undefined : Date.parse(since[taskId]);
}

/** Writes what changed (n8n saves static data only when it was changed). */
export function writeState(staticData: IDataObject, state: TriggerState): void {
	const before = JSON.stringify(staticData.ended ?? {});
	if (before !== JSON.stringify(state.ended)) staticData.ended = state.ended;
	if (state.askFrom === undefined) {
		if (staticData.askFrom !== undefined) delete staticData.askFrom;
	} else if (staticData.askFrom !== state.askFrom) {
		staticData.askFrom = state.askFrom;
	}
	if (JSON.stringify(staticData.unknownSince) !== JSON.stringify(state.unknownSince)) {
		if (state.unknownSince === undefined) delete staticData.unknownSince;
		else staticData.unknownSince = state.unknownSince;
	}
}

/** The tasks to ask, starting with the one the last poll did not get to. */
export function inAskingOrder(taskIds: readonly string[], askFrom?: string): string[] {
	const start = askFrom === undefined ? -1 : taskIds.indexOf(askFrom);
	return start <= 0 ? [...taskIds] : [...taskIds.slice(start), ...taskIds.slice(0, start)];
}

/** Drops what it remembers of the tasks that are no longer watched (and when ended tasks said Unknown). */
export function pruneState(state: TriggerState, watched: readonly string[]): TriggerState {
	const keep = new Set(watched);
	const unknownSince = Object.entries(state.unknownSince ?? {}).filter(
		([taskId]) => keep.has(taskId) && state.ended[taskId] === undefined,
	);
	return {
		ended: Object.fromEntries(Object.entries(state.ended).filter(([taskId]) => keep.has(taskId))),
		...(state.askFrom !== undefined && keep.has(state.askFrom) ? { askFrom: state.askFrom } : {}),
		...(unknownSince.length > 0 ? { unknownSince: Object.fromEntries(unknownSince) } : {}),
	};
}
