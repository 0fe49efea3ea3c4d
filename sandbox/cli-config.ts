import { OptionError, publicOptions, validatePatch } from './options';
import type { Sandbox, SandboxOptions } from './types';

// The sandbox CLI's configuration: environment variables and arguments → SandboxOptions.

export const ENV_PREFIX = 'EVERGIS_SANDBOX_';

export const USAGE = `Usage: node build/sandbox/cli.js [--port <n>] [--stats-file <path>] [--dialect <d>]

  --dialect tiling-page|reference-page|newer   which reading of the EverGIS docs to serve
                                               (default tiling-page; also EVERGIS_SANDBOX_DIALECT)

Environment (all optional):
  EVERGIS_SANDBOX_PORT                     port (default 8765; 0 = any free port)
  EVERGIS_SANDBOX_HOST                     address to listen on (default 127.0.0.1)
  EVERGIS_SANDBOX_PREFIX                   API prefix (default /sp)
  EVERGIS_SANDBOX_TOKEN_LIFETIME_MS        JWT lifetime (default 600000)
  EVERGIS_SANDBOX_REFRESH_TOKEN_LIFETIME_MS refresh token lifetime (default 86400000)
  EVERGIS_SANDBOX_LATENCY_MS               delay before every answer (default 0)
  EVERGIS_SANDBOX_LATENCY_PER_ACTIVE_REQUEST_MS  extra delay per request already active (default 0)
  EVERGIS_SANDBOX_MAX_ACTIVE_REQUESTS      requests processed at once, past it 419 (default 20; 0 = no limit)
  EVERGIS_SANDBOX_RENAME_UPLOADS           1 = store uploads as u<6 hex>_<name> and answer that fileId
  EVERGIS_SANDBOX_TASK_DURATION_MS         tiling task duration (default 3000; "null" = until finished by hand)
  EVERGIS_SANDBOX_TASK_TIMEOUT_MS          tasks end 'Timeout' after this (default: none)
  EVERGIS_SANDBOX_FILES_TIED_TO_SESSION    1 = uploaded files are seen by their login session only
  EVERGIS_SANDBOX_MAX_UPLOAD_BYTES         bodies above this get nginx's 413 page
  EVERGIS_SANDBOX_FAULTS                   JSON, e.g. {"upload":{"rate":0.2,"kinds":["502","reset"]}}
  EVERGIS_SANDBOX_SEED                     seed of the random faults (default 1)
  EVERGIS_SANDBOX_STORAGE_DIR              where uploads are stored (default: a temporary folder)
  EVERGIS_SANDBOX_STATS_FILE               keep {stats, tasks, uploads} in this JSON file
  EVERGIS_SANDBOX_LOG=1                    one line per request on stdout
  EVERGIS_SANDBOX_DIALECT                  tiling-page (default), reference-page or newer
  EVERGIS_SANDBOX_LAYER_TYPES              docs (default) or spec: the layer type names
  EVERGIS_SANDBOX_BATCH_ERRORS             strings (default) or objects: a failed task's batch errors
  EVERGIS_SANDBOX_ERROR_BODY               errorDetails (default) or problemDetails
  EVERGIS_SANDBOX_UNKNOWN_ANSWERS          each task's first n progress answers say Unknown (default 0)
`;

export interface CliConfig {
	options: SandboxOptions;
	help: boolean;
}

function num(name: string, raw: string): number {
	const value = Number(raw);
	if (raw.trim() === '' || !Number.isFinite(value)) {
		throw new OptionError(`${ENV_PREFIX}${name} must be a number, got '${raw}'`);
	}
	return value;
}

function flag(name: string, raw: string): boolean {
	const v = raw.trim().toLowerCase();
	if (['1', 'true', 'yes', 'on'].includes(v)) return true;
	if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
	throw new OptionError(`${ENV_PREFIX}${name} must be 1 or 0, got '${raw}'`);
}

/** Reads the knobs; throws OptionError naming a bad variable or argument. */
export function readCliConfig(
	env: Record<string, string | undefined>,
	argv: readonly string[],
	log: (line: string) => void = (line) => console.log(line),
): CliConfig {
	const o: SandboxOptions = { port: 8765 };
	const get = (name: string): string | undefined => {
		const v = env[`${ENV_PREFIX}${name}`];
		return v === undefined || v === '' ? undefined : v;
	};
	let v: string | undefined;
	if ((v = get('PORT')) !== undefined) o.port = num('PORT', v);
	if ((v = get('HOST')) !== undefined) o.host = v;
	if ((v = get('PREFIX')) !== undefined) o.prefix = v;
	if ((v = get('TOKEN_LIFETIME_MS')) !== undefined) o.tokenLifetimeMs = num('TOKEN_LIFETIME_MS', v);
	if ((v = get('REFRESH_TOKEN_LIFETIME_MS')) !== undefined) {
		o.refreshTokenLifetimeMs = num('REFRESH_TOKEN_LIFETIME_MS', v);
	}
	if ((v = get('LATENCY_MS')) !== undefined) o.latencyMs = num('LATENCY_MS', v);
	if ((v = get('LATENCY_PER_ACTIVE_REQUEST_MS')) !== undefined) {
		o.latencyPerActiveRequestMs = num('LATENCY_PER_ACTIVE_REQUEST_MS', v);
	}
	if ((v = get('MAX_ACTIVE_REQUESTS')) !== undefined) {
		o.maxActiveRequests = num('MAX_ACTIVE_REQUESTS', v);
	}
	if ((v = get('RENAME_UPLOADS')) !== undefined) o.renameUploads = flag('RENAME_UPLOADS', v);
	if ((v = get('TASK_DURATION_MS')) !== undefined) {
		o.taskDurationMs = ['null', 'none'].includes(v.toLowerCase())
			? null
			: num('TASK_DURATION_MS', v);
	}
	if ((v = get('TASK_TIMEOUT_MS')) !== undefined) o.taskTimeoutMs = num('TASK_TIMEOUT_MS', v);
	if ((v = get('FILES_TIED_TO_SESSION')) !== undefined) {
		o.filesTiedToSession = flag('FILES_TIED_TO_SESSION', v);
	}
	if ((v = get('MAX_UPLOAD_BYTES')) !== undefined) o.maxUploadBytes = num('MAX_UPLOAD_BYTES', v);
	if ((v = get('SEED')) !== undefined) o.seed = num('SEED', v);
	if ((v = get('STORAGE_DIR')) !== undefined) o.storageDir = v;
	if ((v = get('STATS_FILE')) !== undefined) o.statsFile = v;
	if ((v = get('FAULTS')) !== undefined) {
		try {
			o.faults = JSON.parse(v) as SandboxOptions['faults'];
		} catch (error) {
			throw new OptionError(`${ENV_PREFIX}FAULTS is not JSON: ${(error as Error).message}`);
		}
	}
	if ((v = get('LOG')) !== undefined && flag('LOG', v)) o.log = log;
	if ((v = get('DIALECT')) !== undefined) o.dialect = v as SandboxOptions['dialect'];
	if ((v = get('LAYER_TYPES')) !== undefined) o.layerTypes = v as SandboxOptions['layerTypes'];
	if ((v = get('BATCH_ERRORS')) !== undefined) o.batchErrors = v as SandboxOptions['batchErrors'];
	if ((v = get('ERROR_BODY')) !== undefined) o.errorBody = v as SandboxOptions['errorBody'];
	if ((v = get('UNKNOWN_ANSWERS')) !== undefined) o.unknownAnswers = num('UNKNOWN_ANSWERS', v);

	let help = false;
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		const [key, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg];
		const value = (): string => {
			const next = inline ?? argv[++i];
			if (next === undefined || next === '') throw new OptionError(`${key} needs a value`);
			return next;
		};
		if (key === '--help' || key === '-h') help = true;
		else if (key === '--stats-file') o.statsFile = value();
		else if (key === '--port') o.port = num('PORT (--port)', value());
		else if (key === '--dialect') o.dialect = value() as SandboxOptions['dialect'];
		else throw new OptionError(`unknown argument '${arg}'`);
	}
	// Same checks as startSandbox and setOptions, so that a bad knob is named before listening.
	validatePatch(o);
	return { options: o, help };
}

/** What the CLI prints once it listens. The first line is stable: "EverGIS sandbox: <url>". */
export function describe(sandbox: Sandbox): string[] {
	const o = publicOptions(sandbox.options);
	return [
		`EverGIS sandbox: ${sandbox.url}`,
		`  Host for the n8n credential: ${sandbox.url}`,
		'  Demo login: user "demo", password "demo-password" (also "alice" / "alice-password")',
		`  Control: GET ${sandbox.origin}/__sandbox/stats, POST ${sandbox.origin}/__sandbox/options, ` +
			`POST ${sandbox.origin}/__sandbox/finish/<taskId>?status=Completed`,
		`  Knobs: ${JSON.stringify({
			tokenLifetimeMs: o.tokenLifetimeMs,
			latencyMs: o.latencyMs,
			latencyPerActiveRequestMs: o.latencyPerActiveRequestMs,
			maxActiveRequests: o.maxActiveRequests,
			renameUploads: o.renameUploads,
			taskDurationMs: o.taskDurationMs,
			taskTimeoutMs: o.taskTimeoutMs,
			filesTiedToSession: o.filesTiedToSession,
			maxUploadBytes: o.maxUploadBytes,
			faults: o.faults,
			seed: o.seed,
			statsFile: o.statsFile,
			storageDir: o.storageDir,
			dialect: o.dialect,
			layerTypes: o.layerTypes,
			batchErrors: o.batchErrors,
			errorBody: o.errorBody,
			unknownAnswers: o.unknownAnswers,
		})}`,
		'  Stop with Ctrl+C.',
	];
}
