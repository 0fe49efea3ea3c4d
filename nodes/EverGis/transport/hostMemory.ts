/**
 * The two readings of the EverGIS docs where they disagree about a path (docs/evergis-api.md):
 * - `tilingPage`: the tiling page and the other worked examples (tiling.md, data_upload.md,
 *   copy_task.md): every task path under `/scheduler/tasks/{id}/…`;
 * - `referencePage`: the scheduler's reference page (scheduler/index.md): `/scheduler/{id}` and
 *   `/scheduler/{id}/progress`.
 */
export type Reading = 'tilingPage' | 'referencePage';

/** The requests whose path depends on the reading. */
export type ReadPath = 'progress' | 'taskInfo';

/** A request finding out which reading a host answers, for those that wait for it. */
export interface Finding {
	/** The run it belongs to (compared by identity). */
	run: object;
	/** Settles when it has ended. */
	done: Promise<void>;
	end: () => void;
	/** How it failed, if it did: what the requests of its own run that waited for it throw. */
	failure?: unknown;
}

/** What this process has learned about one EverGIS host. */
export interface HostMemory {
	/** Per request, the reading whose path the host answered (the first one tried next time). */
	readings: Partial<Record<ReadPath, Reading>>;
	/** The reading that answered last, whichever request: the first guess for one not learned yet. */
	lastReading?: Reading;
	/** The request (per path) that is finding out which reading answers: the others wait for it. */
	finding: Partial<Record<ReadPath, Finding>>;
	/** The layer type name under which the host's `GET /layers?types=` lists raster catalogs. */
	catalogType?: string;
	/**
	 * Whether the host speaks the newer API generation (the spec's, without tiling tasks): asked once
	 * with a spec-only request (generation.ts). Undefined in the promise: could not tell, ask again.
	 */
	newerApi?: Promise<boolean | undefined>;
}

/**
 * What the package has learned about each EverGIS host, keyed by the normalized Host of the
 * credentials (transport/host.ts). Process-wide on purpose: which path a server answers is a fact
 * about the server, not about one execution, so it is learned once per host and process, at the cost
 * of at most one extra request, and every later execution, poll and editor call of this process
 * starts with the path that worked. It lives as long as the n8n process (main or worker); each entry
 * is a few strings, one per host ever used. Nothing of a run, a user or a credential is kept here,
 * and a server that changes is learned again: a learned path that stops answering sends the next
 * request to the other reading.
 */
const learned = new Map<string, HostMemory>();

export function hostMemory(host: string): HostMemory {
	let memory = learned.get(host);
	if (!memory) {
		memory = { readings: {}, finding: {} };
		learned.set(host, memory);
	}
	return memory;
}
