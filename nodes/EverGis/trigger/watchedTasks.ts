import type { IDataObject } from 'n8n-workflow';

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
}

export function readState(staticData: IDataObject): TriggerState {
	const ended = staticData.ended;
	return {
		ended:
			ended && typeof ended === 'object' && !Array.isArray(ended)
				? { ...(ended as Record<string, string>) }
				: {},
		...(typeof staticData.askFrom === 'string' ? { askFrom: staticData.askFrom } : {}),
	};
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
}

/** The tasks to ask, starting with the one the last poll did not get to. */
export function inAskingOrder(taskIds: readonly string[], askFrom?: string): string[] {
	const start = askFrom === undefined ? -1 : taskIds.indexOf(askFrom);
	return start <= 0 ? [...taskIds] : [...taskIds.slice(start), ...taskIds.slice(0, start)];
}

/** Drops the ended tasks that are no longer watched. */
export function pruneState(state: TriggerState, watched: readonly string[]): TriggerState {
	const keep = new Set(watched);
	return {
		ended: Object.fromEntries(Object.entries(state.ended).filter(([taskId]) => keep.has(taskId))),
		...(state.askFrom !== undefined && keep.has(state.askFrom) ? { askFrom: state.askFrom } : {}),
	};
}
