import { accountRoutes } from './account';
import type { Dialect } from '../types';
import type { RouteDef } from './context';
import { layerRoutes } from './layers';
import { newerRoutes } from './newer';
import { schedulerRoutes } from './scheduler';
import { uploadRoutes } from './upload';

export type { RouteContext, RouteDef } from './context';

/** Every API route, in matching order (specific patterns before general ones). */
export const ROUTES: readonly RouteDef[] = [
	...accountRoutes,
	...uploadRoutes,
	...newerRoutes,
	...schedulerRoutes,
	...layerRoutes,
];

export type RouteMatch =
	| { kind: 'route'; route: RouteDef; params: string[] }
	| { kind: 'method'; allowed: string[] }
	| { kind: 'none' };

/** Finds the route a dialect serves for a method and a path relative to the API prefix. */
export function matchRoute(method: string, path: string, dialect: Dialect): RouteMatch {
	const allowed = new Set<string>();
	for (const route of ROUTES) {
		if (route.dialects && !route.dialects.includes(dialect)) continue;
		const m = route.pattern.exec(path);
		if (!m) continue;
		if (route.method !== method) {
			allowed.add(route.method);
			continue;
		}
		let params: string[];
		try {
			params = m.slice(1).map((p) => decodeURIComponent(p));
		} catch {
			continue;
		}
		return { kind: 'route', route, params };
	}
	return allowed.size > 0 ? { kind: 'method', allowed: [...allowed] } : { kind: 'none' };
}
