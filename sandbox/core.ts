import { AuthService, type AuthUser } from './auth';
import { CatalogStore } from './catalogs';
import { FaultInjector } from './faults';
import { FIXED_AFTER_START, OptionError, validatePatch } from './options';
import { copyStats, emptyStats } from './stats';
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
	stats: SandboxStats = emptyStats();

	constructor(readonly options: ResolvedOptions) {
		this.auth = new AuthService(() => this.options);
		this.storage = new FileStorage(options.storageDir);
		this.tasks = new TaskStore(this.catalogs, () => this.changed());
		this.faults = new FaultInjector(options.seed, options.faults);
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
			stats: copyStats(this.stats),
			tasks: this.tasks.records(),
			uploads: this.storage.records(),
		};
	}

	resetStats(): void {
		this.stats = emptyStats();
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
		if (clean.statsFile !== undefined && clean.statsFile !== o.statsFile) {
			o.statsFile = clean.statsFile;
			this.statsFile.setPath(clean.statsFile);
		}
		this.changed();
	}
}
