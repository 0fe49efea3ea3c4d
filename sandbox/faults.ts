import type { FaultKind, FaultRule, RouteName } from './types';

/** mulberry32: a small deterministic PRNG, enough to make fault runs repeatable. */
export function seededRandom(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/**
 * Decides, request by request, whether a route gets a fault: first the queued failNext ones (in
 * order), then the random ones (per-route rate and kinds) from a seeded RNG.
 */
export class FaultInjector {
	private random: () => number;
	/** Per route, what the next requests get: a fault, or null to pass. */
	private readonly queued = new Map<RouteName, Array<FaultKind | null>>();

	constructor(
		seed: number,
		private rules: Partial<Record<RouteName, FaultRule>>,
	) {
		this.random = seededRandom(seed);
	}

	reseed(seed: number): void {
		this.random = seededRandom(seed);
	}

	setRules(rules: Partial<Record<RouteName, FaultRule>>): void {
		this.rules = rules;
	}

	failNext(route: RouteName, kind: FaultKind, count = 1, after = 0): void {
		const list = this.queued.get(route) ?? [];
		for (let i = 0; i < after; i++) list.push(null);
		for (let i = 0; i < count; i++) list.push(kind);
		this.queued.set(route, list);
	}

	/** The fault for the request that just arrived, if any. */
	decide(route: RouteName): FaultKind | undefined {
		const list = this.queued.get(route);
		if (list && list.length > 0) return list.shift() ?? undefined;
		const rule = this.rules[route];
		if (!rule || rule.rate <= 0 || rule.kinds.length === 0) return undefined;
		if (this.random() >= rule.rate) return undefined;
		return rule.kinds[Math.floor(this.random() * rule.kinds.length)];
	}
}
