import { AuthService, type AuthUser } from './auth';
import { CatalogStore } from './catalogs';
import { FaultInjector } from './faults';
import { LoadMeter } from './load';
import { FIXED_AFTER_START, OptionError, validatePatch } from './options';
import { emptyStats, snapshotStats, type StatsCounters } from './stats';
import { StatsFileWriter } from './stats-file';
import { FileStorage, type StorageScope } from './storage';
import { TaskStore } from './tasks';
import type { ResolvedOptions, SandboxOptions, SandboxStats } from './types';

/** Everything the sandbox knows, shared by the routes. */
export class SandboxCore {
	readonly auth: AuthService;
	readonly storage: FileStorage;
	readonly catalogs = new CatalogStore();
	readonly tasks: TaskStore;
	readonly faults: FaultInjector;
	readonly statsFile: StatsFileWriter;
	/** The API requests being processed (maxActiveRequests). */
	readonly load: LoadMeter;
	stats: StatsCounters = emptyStats();
	/** Called after every change of knobs (requests waiting out their latency re-time). */
	readonly optionsChanged = new Set<() => void>();

	constructor(readonly options: ResolvedOptions) {
		this.auth = new AuthService(() => this.options);
		this.storage = new FileStorage(options.storageDir);
		this.tasks = new TaskStore(
			this.catalogs,
			() => this.changed(),
			() => this.options,
		);
		this.faults = new FaultInjector(options.seed, options.faults);
		this.load = new LoadMeter(
			() => this.options.maxActiveRequests,
			() => this.changed(),
		);
		for (const u of options.users) this.catalogs.seedUser(u.username);
		this.statsFile = new StatsFileWriter(
			() => this.snapshot(),
			() => this.tasks.settleAll(),
		);
		this.statsFile.setPath(options.statsFile);
	}

	/** The storage a user's request sees (per user, or per login session). */
	scope(user: AuthUser): StorageScope {
		return {
			owner: user.username,
			sid: user.sid,
			tiedToSession: this.options.filesTiedToSession,
		};
	}

	changed(): void {
		this.statsFile.markDirty();
	}

	snapshot(): { stats: SandboxStats; tasks: unknown[]; uploads: unknown[] } {
		return {
			stats: this.statsSnapshot(),
			tasks: this.tasks.records(),
			uploads: this.storage.records(),
		};
	}

	/** The counters and the load figures, as a copy. */
	statsSnapshot(): SandboxStats {
		return snapshotStats(this.stats, this.load);
	}

	/** Counts an answer (before it is written, so that the stats file has it). */
	answered(status: number): void {
		const key = String(status);
		this.stats.answers[key] = (this.stats.answers[key] ?? 0) + 1;
	}

	resetStats(): void {
		this.stats = emptyStats();
		this.load.reset();
		this.changed();
	}

	setOptions(patch: Partial<SandboxOptions>): void {
		const clean = validatePatch(patch);
		for (const key of FIXED_AFTER_START) {
			if (key in clean && clean[key] !== this.options[key as keyof ResolvedOptions]) {
				throw new OptionError(`${key} cannot change while the sandbox runs`);
			}
		}
		const o = this.options;
		if (clean.users) {
			o.users = clean.users;
			for (const u of o.users) this.catalogs.seedUser(u.username);
		}
		if (clean.tokenLifetimeMs !== undefined) o.tokenLifetimeMs = clean.tokenLifetimeMs;
		if (clean.refreshTokenLifetimeMs !== undefined) {
			o.refreshTokenLifetimeMs = clean.refreshTokenLifetimeMs;
		}
		if (clean.latencyMs !== undefined) o.latencyMs = clean.latencyMs;
		if (clean.latencyPerActiveRequestMs !== undefined) {
			o.latencyPerActiveRequestMs = clean.latencyPerActiveRequestMs;
		}
		if (clean.maxActiveRequests !== undefined) {
			this.load.limitChanging();
			o.maxActiveRequests = clean.maxActiveRequests;
		}
		if (clean.renameUploads !== undefined) o.renameUploads = clean.renameUploads;
		if ('taskDurationMs' in clean) o.taskDurationMs = clean.taskDurationMs ?? null;
		if ('taskTimeoutMs' in clean) o.taskTimeoutMs = clean.taskTimeoutMs ?? undefined;
		if ('maxUploadBytes' in clean) o.maxUploadBytes = clean.maxUploadBytes ?? undefined;
		if (clean.filesTiedToSession !== undefined) o.filesTiedToSession = clean.filesTiedToSession;
		if (clean.faults !== undefined) {
			o.faults = clean.faults;
			this.faults.setRules(clean.faults);
		}
		if (clean.seed !== undefined) {
			o.seed = clean.seed;
			this.faults.reseed(clean.seed);
		}
		if (clean.log !== undefined) o.log = clean.log;
		if (clean.dialect !== undefined) o.dialect = clean.dialect;
		if (clean.layerTypes !== undefined) o.layerTypes = clean.layerTypes;
		if (clean.batchErrors !== undefined) o.batchErrors = clean.batchErrors;
		if (clean.errorBody !== undefined) o.errorBody = clean.errorBody;
		if (clean.unknownAnswers !== undefined) o.unknownAnswers = clean.unknownAnswers;
		if (clean.statsFile !== undefined && clean.statsFile !== o.statsFile) {
			o.statsFile = clean.statsFile;
			this.statsFile.setPath(clean.statsFile);
		}
		this.changed();
		for (const listener of [...this.optionsChanged]) listener();
	}
}
