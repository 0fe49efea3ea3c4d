// Public types of the EverGIS sandbox. Other code (node tests, demo, benchmarks, e2e) depends on
// exactly these names: change them only together with their users.

export type RouteName =
	| 'login'
	| 'refreshToken'
	| 'userInfo'
	| 'upload'
	| 'createTask'
	| 'progress'
	| 'taskInfo'
	| 'cancel'
	| 'layers'
	| 'layer'
	| 'tables'
	| 'newerApi';

export const ROUTE_NAMES: readonly RouteName[] = [
	'login',
	'refreshToken',
	'userInfo',
	'upload',
	'createTask',
	'progress',
	'taskInfo',
	'cancel',
	'layers',
	'layer',
	'tables',
	'newerApi',
];

/**
 * Which reading of EverGIS the sandbox serves (sandbox/README.md, docs/evergis-api.md):
 * - `tiling-page` (default): the tiling page's paths, `/scheduler/tasks/{id}/progress` and (by its
 *   pattern) `/scheduler/tasks/{id}` for task info;
 * - `reference-page`: the scheduler reference page's, `/scheduler/{id}/progress` and `/scheduler/{id}`;
 * - `newer`: the spec's newer generation, enough to be recognised (no tiling task, no upload/file, no
 *   GET /layers, task prototypes at /scheduler, files at /resources/file).
 * Every other path answers as ASP.NET does: an empty 404, or an empty 405 for a path it serves with
 * other methods.
 */
export type Dialect = 'tiling-page' | 'reference-page' | 'newer';

export const DIALECTS: readonly Dialect[] = ['tiling-page', 'reference-page', 'newer'];

export type FaultKind =
	| '500'
	| '502'
	| '503'
	| '504'
	| '429'
	| '419'
	| '401'
	| 'reset'
	| 'reset-after'
	| '500-after'
	| 'hang'
	| 'html'
	| '400'
	| '404';

export const FAULT_KINDS: readonly FaultKind[] = [
	'500',
	'502',
	'503',
	'504',
	'429',
	'419',
	'401',
	'reset',
	'reset-after',
	'500-after',
	'hang',
	'html',
	'400',
	'404',
];

export interface FaultRule {
	/** Probability (0..1) that a request to the route gets a fault. */
	rate: number;
	/** The kinds to choose from (uniformly) when a fault fires. */
	kinds: FaultKind[];
}

export interface SandboxUser {
	username: string;
	password: string;
}

export interface SandboxOptions {
	port?: number;
	host?: string;
	prefix?: string;
	users?: SandboxUser[];
	tokenLifetimeMs?: number;
	refreshTokenLifetimeMs?: number;
	latencyMs?: number;
	/**
	 * Extra latency per API request already being processed when a request starts (default 0): an
	 * answer slows down as the load grows. Added to latencyMs, spent inside the active window.
	 */
	latencyPerActiveRequestMs?: number;
	/**
	 * As EverGIS's maximumActiveRequests (default 20, server-wide, all users): an API request that
	 * arrives while this many are being processed is answered 419 at once. 0 = no limit.
	 */
	maxActiveRequests?: number;
	/** Store an upload `<name>` as `u<6 hex>_<name>` and answer that as its fileId (default false). */
	renameUploads?: boolean;
	taskDurationMs?: number | null;
	/** null (or leaving it out) = no timeout. */
	taskTimeoutMs?: number | null;
	filesTiedToSession?: boolean;
	storageDir?: string;
	/** null (or leaving it out) = no limit. */
	maxUploadBytes?: number | null;
	faults?: Partial<Record<RouteName, FaultRule>>;
	seed?: number;
	log?: (line: string) => void;
	/** Not in the original brief: rewrite this JSON file with {stats, tasks, uploads} on changes. */
	statsFile?: string;
	/** Which reading of the docs (or which API generation) is served; default `tiling-page`. */
	dialect?: Dialect;
	/**
	 * The layer type names: `docs` (raster catalogs `PostgresTileCatalogService`, from the docs'
	 * prose; any `types` filter accepted) or `spec` (the spec's LayerServiceType: raster catalogs
	 * `PostgresTileLayerService`, vector layers `QueryLayerService`; a `types` filter with another
	 * name is refused 400, as ASP.NET's binding of the enum does).
	 */
	layerTypes?: 'docs' | 'spec';
	/**
	 * A failed task's batch errors: `strings` (default, with `taskResult.message` too) or `objects`
	 * (`{message, errorType}` each, and `taskResult.message` null: the reason is only in them).
	 */
	batchErrors?: 'strings' | 'objects';
	/**
	 * The JSON error body: `errorDetails`, the spec's ErrorDetailsDc `{message, errorType,
	 * statusCode}` (default), or `problemDetails`, ASP.NET's `{type, title, status, detail, traceId}`.
	 */
	errorBody?: 'errorDetails' | 'problemDetails';
	/** Each task's first this many progress answers say `Unknown` (as the SDK does before a task has subtasks). */
	unknownAnswers?: number;
}

/** The options in force: every knob has a value (optional ones may be undefined). */
export interface ResolvedOptions {
	port: number;
	host: string;
	prefix: string;
	users: SandboxUser[];
	tokenLifetimeMs: number;
	refreshTokenLifetimeMs: number;
	latencyMs: number;
	latencyPerActiveRequestMs: number;
	maxActiveRequests: number;
	renameUploads: boolean;
	taskDurationMs: number | null;
	taskTimeoutMs: number | undefined;
	filesTiedToSession: boolean;
	storageDir: string;
	maxUploadBytes: number | undefined;
	faults: Partial<Record<RouteName, FaultRule>>;
	seed: number;
	log: ((line: string) => void) | undefined;
	statsFile: string | undefined;
	dialect: Dialect;
	layerTypes: 'docs' | 'spec';
	batchErrors: 'strings' | 'objects';
	errorBody: 'errorDetails' | 'problemDetails';
	unknownAnswers: number;
}

export type TaskStatus =
	| 'Scheduled'
	| 'Planning'
	| 'Executing'
	| 'Completed'
	| 'Failed'
	| 'Canceled'
	| 'Timeout'
	| 'Error'
	| 'Interrupted'
	| 'Unknown';

/** How finishTask may end a task; `Unknown`: it says Unknown from then on. */
export type FinishStatus = 'Completed' | 'Failed' | 'Timeout' | 'Error' | 'Interrupted' | 'Unknown';

export const FINISH_STATUSES: readonly FinishStatus[] = [
	'Completed',
	'Failed',
	'Timeout',
	'Error',
	'Interrupted',
	'Unknown',
];

export interface StepResult {
	stepName: null;
	inputSource: null;
	outSource: null;
	startedTime: string | null;
	endedTime: string | null;
	batchErrors: Array<string | Record<string, unknown>> | null;
	batchCount: number;
	inputObjectCount: number;
	errorCount: number;
	outputObjectCount: number;
	resultDetails: Record<string, number> | null;
}

export interface TaskResult {
	message: string | null;
	stepResults: StepResult[] | null;
	inputObjectCount: number;
	errorCount: number;
	outputObjectCount: number;
}

export interface TaskRecord {
	id: string;
	owner: string;
	type: 'tiling';
	/** The request body as sent. */
	body: Record<string, unknown>;
	status: TaskStatus;
	/** ISO date-times. */
	createdAt: string;
	startedAt?: string;
	endedAt?: string;
	taskResult: TaskResult | null;
}

export interface UploadRecord {
	/** The name the file is stored and answered under (the sent name unless renameUploads). */
	fileId: string;
	/** The file name as sent (after removing any path). */
	sentName: string;
	owner: string;
	size: number;
	sha256: string;
	/** ISO date-time. */
	storedAt: string;
	/** Login session id (the JWT's `sid`) the file was uploaded under. */
	session: string;
	/** True when this store replaced a file of the same name (rewrite=true). */
	overwrote: boolean;
}

export interface AttributeDefinition {
	type: string;
	alias?: string | null;
}

export interface RasterRecord {
	fileId: string;
	attributes: Record<string, unknown>;
	tiles: number;
	taskId: string;
}

export interface CatalogRecord {
	name: string;
	alias: string;
	owner: string;
	attributes: Record<string, AttributeDefinition>;
	rasters: RasterRecord[];
}

export type StatsRouteName = RouteName | 'unknown';

/**
 * How the load looked, time-weighted, from the last reset (or the start) to the last change of the
 * number of active requests (so that the same state gives the same figures, in the stats file too).
 */
export interface LoadStats {
	/** Milliseconds covered by the figures below. */
	observedMs: number;
	/** msByActive[n]: milliseconds during which exactly n API requests were being processed. */
	msByActive: number[];
	/** Milliseconds with maxActiveRequests (the one in force then, if not 0) requests active. */
	msAtLimit: number;
	/** msAtLimit / observedMs (0 when nothing was observed). */
	shareAtLimit: number;
	/** The time-weighted mean number of active requests. */
	meanActiveRequests: number;
}

export interface SandboxStats {
	/** Every API request that arrived (refused ones and faults included), per route. */
	requests: Record<StatsRouteName, number>;
	faults: Record<RouteName, number>;
	logins: number;
	uploadsStored: number;
	tasksCreated: number;
	/** Answers by HTTP status (API and nginx answers; connections dropped or hung are not answers). */
	answers: Record<string, number>;
	/** Requests answered 419 because maxActiveRequests were active, per route (not injected 419s). */
	refused: Record<StatsRouteName, number>;
	/** The sum of `refused`. */
	refusedTotal: number;
	/** API requests being processed now. */
	activeRequests: number;
	/** The most API requests processed at once since the last reset. */
	peakActiveRequests: number;
	load: LoadStats;
}

export interface Sandbox {
	url: string;
	origin: string;
	options: ResolvedOptions;
	setOptions(patch: Partial<SandboxOptions>): void;
	/** The next `count` requests to the route get the fault, after `after` requests that pass. */
	failNext(route: RouteName, kind: FaultKind, count?: number, after?: number): void;
	stats(): SandboxStats;
	resetStats(): void;
	tasks(): TaskRecord[];
	uploads(): UploadRecord[];
	issuedSecrets(): string[];
	catalog(name: string): CatalogRecord | undefined;
	/**
	 * Shares a catalog with another user, as EverGIS's roles do: it is then listed to that user under
	 * `group=role` (and `all`), readable, and loadable if the permissions include `write`.
	 */
	shareCatalog(name: string, user: string, permissions: string): void;
	finishTask(id: string, status: FinishStatus, message?: string): void;
	close(): Promise<void>;
}
