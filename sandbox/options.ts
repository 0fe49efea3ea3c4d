import {
	DIALECTS,
	FAULT_KINDS,
	ROUTE_NAMES,
	type FaultKind,
	type FaultRule,
	type ResolvedOptions,
	type RouteName,
	type SandboxOptions,
	type SandboxUser,
} from './types';

export const DEFAULT_USERS: readonly SandboxUser[] = [
	{ username: 'demo', password: 'demo-password' },
	{ username: 'alice', password: 'alice-password' },
];

/** EverGIS's own default for maximumActiveRequests (SPCore.json, install/config.md). */
export const DEFAULT_MAX_ACTIVE_REQUESTS = 20;

/** Thrown for a knob with a value the sandbox cannot use. */
export class OptionError extends Error {}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
	if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
		throw new OptionError(
			`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
		);
	}
	return value as T;
}

function nonNegativeNumber(name: string, value: unknown): number {
	if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
		throw new OptionError(`${name} must be a non-negative number, got ${JSON.stringify(value)}`);
	}
	return value;
}

export function normalizePrefix(prefix: string): string {
	let p = prefix.trim();
	if (p === '' || p === '/') return '';
	if (!p.startsWith('/')) p = `/${p}`;
	while (p.endsWith('/')) p = p.slice(0, -1);
	return p;
}

export function isFaultKind(value: unknown): value is FaultKind {
	return typeof value === 'string' && (FAULT_KINDS as readonly string[]).includes(value);
}

export function isRouteName(value: unknown): value is RouteName {
	return typeof value === 'string' && (ROUTE_NAMES as readonly string[]).includes(value);
}

function validateFaults(value: unknown): Partial<Record<RouteName, FaultRule>> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new OptionError('faults must be an object keyed by route name');
	}
	const out: Partial<Record<RouteName, FaultRule>> = {};
	for (const [route, rule] of Object.entries(value as Record<string, unknown>)) {
		if (!isRouteName(route)) {
			throw new OptionError(`faults: unknown route '${route}' (routes: ${ROUTE_NAMES.join(', ')})`);
		}
		if (typeof rule !== 'object' || rule === null) {
			throw new OptionError(`faults.${route} must be {rate, kinds}`);
		}
		const { rate, kinds } = rule as { rate?: unknown; kinds?: unknown };
		if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
			throw new OptionError(`faults.${route}.rate must be a number from 0 to 1`);
		}
		if (!Array.isArray(kinds) || kinds.length === 0 || !kinds.every(isFaultKind)) {
			throw new OptionError(
				`faults.${route}.kinds must be a non-empty list of: ${FAULT_KINDS.join(', ')}`,
			);
		}
		out[route] = { rate, kinds: [...kinds] };
	}
	return out;
}

/**
 * Checks a patch of knobs (from code, the CLI's environment or POST /__sandbox/options) and
 * returns a clean copy. Throws OptionError naming the bad knob.
 */
export function validatePatch(patch: Partial<SandboxOptions>): Partial<SandboxOptions> {
	const out: Partial<SandboxOptions> = {};
	const p = patch as Record<string, unknown>;
	for (const key of Object.keys(p)) {
		const value = p[key];
		if (value === undefined) continue;
		switch (key) {
			case 'port':
				if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
					throw new OptionError('port must be an integer from 0 to 65535');
				}
				out.port = value as number;
				break;
			case 'host':
			case 'storageDir':
			case 'statsFile':
				if (typeof value !== 'string' || value === '') {
					throw new OptionError(`${key} must be a non-empty string`);
				}
				out[key] = value;
				break;
			case 'prefix':
				if (typeof value !== 'string') throw new OptionError('prefix must be a string');
				out.prefix = normalizePrefix(value);
				break;
			case 'users':
				if (
					!Array.isArray(value) ||
					value.length === 0 ||
					!value.every(
						(u) =>
							typeof u === 'object' &&
							u !== null &&
							typeof (u as SandboxUser).username === 'string' &&
							/^[A-Za-z0-9_-]+$/.test((u as SandboxUser).username) &&
							typeof (u as SandboxUser).password === 'string',
					)
				) {
					throw new OptionError(
						'users must be a non-empty list of {username (letters, digits, _ or -), password}',
					);
				}
				out.users = (value as SandboxUser[]).map((u) => ({
					username: u.username,
					password: u.password,
				}));
				break;
			case 'tokenLifetimeMs':
			case 'refreshTokenLifetimeMs':
				if (nonNegativeNumber(key, value) === 0) throw new OptionError(`${key} must be > 0`);
				out[key] = value as number;
				break;
			case 'latencyMs':
			case 'latencyPerActiveRequestMs':
				out[key] = nonNegativeNumber(key, value);
				break;
			case 'maxActiveRequests':
				if (!Number.isInteger(value) || (value as number) < 0) {
					throw new OptionError(
						`maxActiveRequests must be a non-negative integer (0 = no limit), got ${JSON.stringify(value)}`,
					);
				}
				out.maxActiveRequests = value as number;
				break;
			case 'taskDurationMs':
				out.taskDurationMs = value === null ? null : nonNegativeNumber(key, value);
				break;
			case 'taskTimeoutMs':
			case 'maxUploadBytes':
				// null switches the knob off.
				out[key] = value === null ? null : nonNegativeNumber(key, value);
				break;
			case 'seed':
				if (!Number.isInteger(value)) throw new OptionError('seed must be an integer');
				out.seed = value as number;
				break;
			case 'filesTiedToSession':
			case 'renameUploads':
				if (typeof value !== 'boolean') throw new OptionError(`${key} must be true or false`);
				out[key] = value;
				break;
			case 'faults':
				out.faults = validateFaults(value);
				break;
			case 'dialect':
				out.dialect = oneOf(key, value, DIALECTS);
				break;
			case 'layerTypes':
				out.layerTypes = oneOf(key, value, ['docs', 'spec'] as const);
				break;
			case 'batchErrors':
				out.batchErrors = oneOf(key, value, ['strings', 'objects'] as const);
				break;
			case 'errorBody':
				out.errorBody = oneOf(key, value, ['errorDetails', 'problemDetails'] as const);
				break;
			case 'unknownAnswers':
				if (!Number.isInteger(value) || (value as number) < 0) {
					throw new OptionError('unknownAnswers must be a non-negative integer');
				}
				out.unknownAnswers = value as number;
				break;
			case 'log':
				if (typeof value !== 'function') throw new OptionError('log must be a function');
				out.log = value as (line: string) => void;
				break;
			default:
				throw new OptionError(`unknown option '${key}'`);
		}
	}
	return out;
}

/** Knobs that may not change once the server listens. */
export const FIXED_AFTER_START: ReadonlyArray<keyof SandboxOptions> = [
	'port',
	'host',
	'prefix',
	'storageDir',
];

export function resolveOptions(options: SandboxOptions, storageDir: string): ResolvedOptions {
	const o = validatePatch(options);
	return {
		port: o.port ?? 0,
		host: o.host ?? '127.0.0.1',
		prefix: o.prefix ?? '/sp',
		users: o.users ?? DEFAULT_USERS.map((u) => ({ ...u })),
		tokenLifetimeMs: o.tokenLifetimeMs ?? 600_000,
		refreshTokenLifetimeMs: o.refreshTokenLifetimeMs ?? 86_400_000,
		latencyMs: o.latencyMs ?? 0,
		latencyPerActiveRequestMs: o.latencyPerActiveRequestMs ?? 0,
		maxActiveRequests: o.maxActiveRequests ?? DEFAULT_MAX_ACTIVE_REQUESTS,
		renameUploads: o.renameUploads ?? false,
		taskDurationMs: o.taskDurationMs === undefined ? 3000 : o.taskDurationMs,
		taskTimeoutMs: o.taskTimeoutMs ?? undefined,
		filesTiedToSession: o.filesTiedToSession ?? false,
		storageDir,
		maxUploadBytes: o.maxUploadBytes ?? undefined,
		faults: o.faults ?? {},
		seed: o.seed ?? 1,
		log: o.log,
		statsFile: o.statsFile,
		dialect: o.dialect ?? 'tiling-page',
		layerTypes: o.layerTypes ?? 'docs',
		batchErrors: o.batchErrors ?? 'strings',
		errorBody: o.errorBody ?? 'errorDetails',
		unknownAnswers: o.unknownAnswers ?? 0,
	};
}

/** The options as JSON (for /__sandbox answers): no passwords, no functions. */
export function publicOptions(o: ResolvedOptions): Record<string, unknown> {
	return {
		port: o.port,
		host: o.host,
		prefix: o.prefix,
		users: o.users.map((u) => u.username),
		tokenLifetimeMs: o.tokenLifetimeMs,
		refreshTokenLifetimeMs: o.refreshTokenLifetimeMs,
		latencyMs: o.latencyMs,
		latencyPerActiveRequestMs: o.latencyPerActiveRequestMs,
		maxActiveRequests: o.maxActiveRequests,
		renameUploads: o.renameUploads,
		taskDurationMs: o.taskDurationMs,
		taskTimeoutMs: o.taskTimeoutMs ?? null,
		filesTiedToSession: o.filesTiedToSession,
		storageDir: o.storageDir,
		maxUploadBytes: o.maxUploadBytes ?? null,
		faults: o.faults,
		seed: o.seed,
		statsFile: o.statsFile ?? null,
		dialect: o.dialect,
		layerTypes: o.layerTypes,
		batchErrors: o.batchErrors,
		errorBody: o.errorBody,
		unknownAnswers: o.unknownAnswers,
	};
}
