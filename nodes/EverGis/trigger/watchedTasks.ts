import type { IDataObject } from 'n8n-workflow';

/**
 * What the trigger remembers between polls, in the node's static data: the watched tasks that have
 * ended (ID → status), so each fires once. Only tasks still on the watch list are kept, so the
 * state never grows beyond the list.
 */
export interface TriggerState {
	ended: Record<string, string>;
}

export function readState(staticData: IDataObject): TriggerState {
	const ended = staticData.ended;
	return {
		ended:
			ended && typeof ended === 'object' && !Array.isArray(ended)
				? { ...(ended as Record<string, string>) }
				: {},
	};
}

export function writeState(staticData: IDataObject, state: TriggerState): void {
	const before = JSON.stringify(staticData.ended ?? {});
	if (before !== JSON.stringify(state.ended)) staticData.ended = state.ended;
}

/** Drops the ended tasks that are no longer watched. */
export function pruneState(state: TriggerState, watched: readonly string[]): TriggerState {
	const keep = new Set(watched);
	return {
		ended: Object.fromEntries(Object.entries(state.ended).filter(([taskId]) => keep.has(taskId))),
	};
}
