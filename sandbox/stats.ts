import { ROUTE_NAMES, type RouteName, type SandboxStats, type StatsRouteName } from './types';

export function emptyStats(): SandboxStats {
	const requests = { unknown: 0 } as Record<StatsRouteName, number>;
	const faults = {} as Record<RouteName, number>;
	for (const r of ROUTE_NAMES) {
		requests[r] = 0;
		faults[r] = 0;
	}
	return { requests, faults, logins: 0, uploadsStored: 0, tasksCreated: 0 };
}

export function copyStats(s: SandboxStats): SandboxStats {
	return { ...s, requests: { ...s.requests }, faults: { ...s.faults } };
}
