import { pause } from '../shared/pause';
import { failureOf } from './errors';
import { isRouteError } from './failure';
import type { Finding, Reading, ReadPath } from './hostMemory';
import { hostMemory } from './hostMemory';

export type { Reading, ReadPath };

/** The readings in the order a host that nothing is known of is asked: the tiling page's first. */
const READINGS: readonly Reading[] = ['tilingPage', 'referencePage'];

/** Where each reading puts a request (docs/evergis-api.md gives the file and line of each). */
export const READING_PATHS: Record<ReadPath, Record<Reading, (taskId: string) => string>> = {
	progress: {
		// tiling.md:190, data_upload.md:282, copy_task.md:248.
		tilingPage: (taskId) => `/scheduler/tasks/${encodeURIComponent(taskId)}/progress`,
		// scheduler/index.md:95.
		referencePage: (taskId) => `/scheduler/${encodeURIComponent(taskId)}/progress`,
	},
	taskInfo: {
		// No example shows it: the pattern of the tiling page's paths.
		tilingPage: (taskId) => `/scheduler/tasks/${encodeURIComponent(taskId)}`,
		// scheduler/index.md:60.
		referencePage: (taskId) => `/scheduler/${encodeURIComponent(taskId)}`,
	},
};

/**
 * Sends a request whose path the docs give two ways: first the way this host answered before (for
 * this request, else for the other one), else the tiling page's; on an answer that means "no such
 * route" (failure.ts isRouteError), the other way. The way that answered is remembered for the host
 * (hostMemory.ts), so a host costs at most one extra request per process: while the first request
 * finds it out, the others wait for it (10 s at most), and those of its own run (`run`, compared by
 * identity) fail as it failed if it failed otherwise than by a route error (a login that failed
 * would fail for them too: one login, as when they share a token renewal). `ask` sends the request
 * the given way; `anotherFollows` says whether another way is tried after a route error
 * (transport/request.ts then leaves the error to this function). When neither way is served,
 * `neither` makes the error (given the last one).
 */
export async function askEitherWay<T>(
	run: object,
	host: string,
	path: ReadPath,
	ask: (reading: Reading, anotherFollows: boolean) => Promise<T>,
	neither: (lastError: unknown) => Error,
): Promise<T> {
	const memory = hostMemory(host);
	let mine: Finding | undefined;
	if (memory.readings[path] === undefined) {
		const finding = memory.finding[path];
		if (finding) {
			await waitBriefly(finding.done);
			// The same run's finder failed (its login, say): this request would fail the same way.
			if (finding.run === run && finding.failure !== undefined && !memory.readings[path]) {
				throw finding.failure;
			}
		} else {
			let done = () => {};
			mine = { run, done: new Promise<void>((resolve) => (done = resolve)), end: () => done() };
			memory.finding[path] = mine;
		}
	}
	let failure: unknown;
	try {
		const first = memory.readings[path] ?? memory.lastReading ?? READINGS[0];
		const order = [first, ...READINGS.filter((reading) => reading !== first)];
		for (const [index, reading] of order.entries()) {
			try {
				const value = await ask(reading, index < order.length - 1);
				learn(host, path, reading);
				failure = undefined;
				return value;
			} catch (error) {
				failure = error;
			}
			const facts = failureOf(failure);
			if (!isRouteError(facts)) {
				// EverGIS's own answer (a JSON "no such task", ...): the route is there.
				if (facts?.status !== undefined && facts.status < 500 && isJsonObject(facts.body)) {
					learn(host, path, reading);
				}
				throw failure;
			}
		}
		memory.readings[path] = undefined;
		failure = neither(failure);
		throw failure;
	} finally {
		if (mine) {
			mine.failure = failure;
			memory.finding[path] = undefined;
			mine.end();
		}
	}
}

/**
 * How long a request waits at most for the one that is finding out the way to a host: that one may
 * belong to another execution and wait for a slot of its own run's request limit; past this, the
 * request asks by itself.
 */
const FINDING_WAIT_MS = 10_000;

async function waitBriefly(finding: Promise<void>): Promise<void> {
	const over = new AbortController();
	try {
		await Promise.race([finding, pause(FINDING_WAIT_MS, over.signal).catch(() => undefined)]);
	} finally {
		over.abort();
	}
}

function learn(host: string, path: ReadPath, reading: Reading): void {
	const memory = hostMemory(host);
	memory.readings[path] = reading;
	memory.lastReading = reading;
}

function isJsonObject(body: unknown): boolean {
	return body !== null && typeof body === 'object' && !Array.isArray(body);
}
