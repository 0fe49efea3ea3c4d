import type { LoadMeter } from './load';
import { ROUTE_NAMES, type RouteName, type SandboxStats, type StatsRouteName } from './types';

/** The counters the routes add to; the load figures come from the LoadMeter at snapshot time. */
export type StatsCounters = Omit<SandboxStats, 'activeRequests' | 'peakActiveRequests' | 'load'>;

export function emptyStats(): StatsCounters {
	const requests = { unknown: 0 } as Record<StatsRouteName, number>;
	const refused = { unknown: 0 } as Record<StatsRouteName, number>;
	const faults = {} as Record<RouteName, number>;
	for (const r of ROUTE_NAMES) {
		requests[r] = 0;
		refused[r] = 0;
		faults[r] = 0;
	}
	return {
		requests,
		faults,
		logins: 0,
		uploadsStored: 0,
		tasksCreated: 0,
		answers: {},
		refused,
		refusedTotal: 0,
	};
}

/** A copy of the counters with the load figures in it. */
export function snapshotStats(s: StatsCounters, meter: LoadMeter): SandboxStats {
	return {
		...s,
		requests: { ...s.requests },
		faults: { ...s.faults },
		answers: { ...s.answers },
		refused: { ...s.refused },
		...meter.stats(),
	};
}
