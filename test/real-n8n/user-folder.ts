import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureN8nInstalled, type N8nInstall } from './install';
import { runProcess } from './processes';
import { logStep } from './timing';

/** The encryption key of every throwaway user folder (credentials imported in a test use it). */
export const TEST_ENCRYPTION_KEY = 'evergis-real-n8n-test-encryption-key';

export type N8nLogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface PostgresConnection {
	host: string;
	port: number;
	user: string;
	password: string;
	database: string;
}

export interface RedisConnection {
	host: string;
	port: number;
}

export interface UserFolderOptions {
	/** The n8n release to run (installed with install.sh when needed); default N8N_VERSION (2.40.7). */
	n8nVersion?: string;
	/** Community package tarballs to install into `<userFolder>/.n8n/nodes` (as n8n's docs describe). */
	tarballs?: string[];
	/** Where the throwaway folder goes; default: the OS temp folder. */
	parentDir?: string;
	/** Default: TEST_ENCRYPTION_KEY. */
	encryptionKey?: string;
	/** N8N_LOG_LEVEL of the processes; default 'info' (n8n's `execute --rawOutput` needs info). */
	logLevel?: N8nLogLevel;
	/** More folders n8n's file nodes may read and write (N8N_RESTRICT_FILE_ACCESS_TO), besides dataDir. */
	allowedDirs?: string[];
	/**
	 * Binary data mode; default 'filesystem' (kept in `<userFolder>/.n8n/storage`). `null` leaves
	 * N8N_DEFAULT_BINARY_DATA_MODE unset, so that n8n picks its own default (2.40.7: 'database' in
	 * queue mode, 'filesystem' otherwise).
	 */
	binaryDataMode?: 'filesystem' | 'database' | null;
	/** Use this PostgreSQL database instead of SQLite (needed for queue mode). */
	postgres?: PostgresConnection;
	/** Redis for queue mode (Bull). */
	redis?: RedisConnection;
	/** More environment variables for every n8n process of this folder (they win over the defaults). */
	env?: Record<string, string>;
	/** Keep the folder at cleanup (also when EVERGIS_N8N_KEEP=1), to look at it after a test. */
	keep?: boolean;
}

export interface UserFolder {
	/** The throwaway folder holding everything below; removed by cleanup(). */
	root: string;
	/** N8N_USER_FOLDER (n8n works in `<userFolder>/.n8n`). */
	userFolder: string;
	/** `<userFolder>/.n8n`: config, database.sqlite, nodes/, storage/. */
	n8nDir: string;
	/** `<userFolder>/.n8n/nodes`, where community packages are installed. */
	nodesDir: string;
	/** A folder for the test's files; n8n's file nodes may read and write it. */
	dataDir: string;
	/** Logs of the n8n processes started for this folder (one file per process). */
	logsDir: string;
	install: N8nInstall;
	options: UserFolderOptions;
	/** The environment every n8n process of this folder gets (ports are added per process). */
	env: Record<string, string>;
	/** Removes the folder (unless kept). Stop the processes first. */
	cleanup(): void;
}

/** Variables taken over from this process; nothing else leaks in (jest sets NODE_ENV=test, say). */
const INHERITED = ['HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TMPDIR', 'SHELL', 'TERM'];

export function baseEnv(install: N8nInstall, folder: Omit<UserFolder, 'env' | 'cleanup'>) {
	const o = folder.options;
	const env: Record<string, string> = {};
	for (const key of INHERITED) {
		const value = process.env[key];
		if (value !== undefined) env[key] = value;
	}
	Object.assign(env, {
		// n8n's Node first: n8n starts its task runner with the node it runs on, and npm/node-gyp if any.
		PATH: `${install.nodeBinDir}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
		NODE_ENV: 'production',
		TZ: 'UTC',
		GENERIC_TIMEZONE: 'UTC',
		N8N_USER_FOLDER: folder.userFolder,
		N8N_ENCRYPTION_KEY: o.encryptionKey ?? TEST_ENCRYPTION_KEY,
		N8N_LOG_LEVEL: o.logLevel ?? 'info',
		N8N_LOG_OUTPUT: 'console',
		N8N_LOG_FORMAT: 'text',
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_SECURE_COOKIE: 'false',
		// Files: the test's data folder (and any others asked for); binary data in the filesystem.
		N8N_RESTRICT_FILE_ACCESS_TO: [folder.dataDir, ...(o.allowedDirs ?? [])].join(';'),
		N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false',
		N8N_DEFAULT_BINARY_DATA_MODE: o.binaryDataMode ?? 'filesystem',
		// Shared by a main and its workers (each worker has a user folder of its own, see startN8n).
		N8N_STORAGE_PATH: join(folder.n8nDir, 'storage'),
		// Nothing goes out to n8n's servers (this machine has no network but the registries).
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		// Requests to the local sandbox on 127.0.0.1 must not be blocked.
		N8N_SSRF_PROTECTION_ENABLED: 'false',
		// Community packages installed by hand; say so explicitly to silence a deprecation notice.
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		// Task runners: the internal mode (a child JS runner per n8n process) works here.
		N8N_RUNNERS_MODE: 'internal',
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		// Keep every execution record for the tests to read.
		EXECUTIONS_DATA_PRUNE: 'false',
		EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
		EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
		EXECUTIONS_DATA_SAVE_MANUAL_EXECUTIONS: 'true',
		N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
	});
	// The MCP registry module fetches a list from n8n's servers at start and logs a stack trace when
	// it cannot; releases without it refuse to start when asked to disable an unknown module.
	if (existsSync(join(install.app, 'node_modules', 'n8n', 'dist', 'modules', 'mcp-registry'))) {
		env.N8N_DISABLED_MODULES = 'mcp-registry';
	}
	if (install.major < 2) {
		// n8n 1.123.x evaluates expressions in isolated-vm by default, which is not built for the
		// system's Node 20 here; the legacy engine (deprecated, the default of older 1.x) runs them.
		env.N8N_EXPRESSION_ENGINE = 'legacy';
	}
	if (o.postgres) {
		Object.assign(env, {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: o.postgres.host,
			DB_POSTGRESDB_PORT: String(o.postgres.port),
			DB_POSTGRESDB_USER: o.postgres.user,
			DB_POSTGRESDB_PASSWORD: o.postgres.password,
			DB_POSTGRESDB_DATABASE: o.postgres.database,
			DB_POSTGRESDB_SCHEMA: 'public',
		});
	} else {
		env.DB_TYPE = 'sqlite';
	}
	if (o.redis) {
		Object.assign(env, {
			QUEUE_BULL_REDIS_HOST: o.redis.host,
			QUEUE_BULL_REDIS_PORT: String(o.redis.port),
		});
	}
	if (o.binaryDataMode === null) delete env.N8N_DEFAULT_BINARY_DATA_MODE;
	return Object.assign(env, o.env ?? {});
}

/**
 * A throwaway N8N_USER_FOLDER with the given community package tarballs installed in
 * `<userFolder>/.n8n/nodes` (`npm install <tarball> --legacy-peer-deps --ignore-scripts`, so that npm
 * does not pull n8n-workflow in as a peer: n8n lends its own to the packages it loads).
 */
export async function createUserFolder(options: UserFolderOptions = {}): Promise<UserFolder> {
	const install = await ensureN8nInstalled(options.n8nVersion);
	const parent = options.parentDir ?? tmpdir();
	mkdirSync(parent, { recursive: true });
	const root = mkdtempSync(join(parent, 'evergis-n8n-'));
	const userFolder = join(root, 'user');
	const n8nDir = join(userFolder, '.n8n');
	const nodesDir = join(n8nDir, 'nodes');
	const dataDir = join(root, 'data');
	const logsDir = join(root, 'logs');
	for (const dir of [nodesDir, dataDir, logsDir, join(root, 'import')])
		mkdirSync(dir, { recursive: true });
	const partial = { root, userFolder, n8nDir, nodesDir, dataDir, logsDir, install, options };
	const folder: UserFolder = {
		...partial,
		env: baseEnv(install, partial),
		cleanup: () => {
			if (options.keep || process.env.EVERGIS_N8N_KEEP === '1') {
				process.stderr.write(`[real-n8n] kept ${root}\n`);
				return;
			}
			rmSync(root, { recursive: true, force: true });
		},
	};
	if (options.tarballs && options.tarballs.length > 0) {
		await installTarballs(folder, options.tarballs);
	}
	return folder;
}

/** Installs community package tarballs into the folder's `.n8n/nodes` (before n8n starts). */
export async function installTarballs(folder: UserFolder, tarballs: string[]): Promise<void> {
	// A package.json of its own, so that npm does not walk up to another project.
	const manifest = join(folder.nodesDir, 'package.json');
	if (!existsSync(manifest)) {
		writeFileSync(
			manifest,
			JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2) + '\n',
		);
	}
	await logStep(`npm install ${tarballs.length} tarball(s) into .n8n/nodes`, () =>
		runProcess(
			'npm',
			[
				'install',
				'--legacy-peer-deps',
				'--ignore-scripts',
				'--no-audit',
				'--no-fund',
				'--loglevel=error',
				...tarballs,
			],
			{ name: 'npm install (community packages)', cwd: folder.nodesDir, timeoutMs: 5 * 60_000 },
		),
	);
}
