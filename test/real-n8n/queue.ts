/**
 * PostgreSQL and Redis for n8n's queue mode, started as this test's own processes on free loopback
 * ports with their data in a throwaway folder, and stopped at the end.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { repoRoot } from './install';
import { freePort } from './ports';
import { runProcess, spawnProcess, type SpawnedProcess } from './processes';
import { logStep } from './timing';
import type { PostgresConnection, RedisConnection } from './user-folder';

export interface QueueServicePaths {
	postgresBinDir: string;
	redisServer: string;
}

/**
 * `scripts/real-n8n/queue-services.sh install <group>`: installs Debian's packages of the group when
 * missing (`queue`: postgresql and redis-server; `ftp`: vsftpd) and returns the paths it prints for
 * `keys` (POSTGRES_BIN_DIR, REDIS_SERVER, VSFTPD).
 */
export async function installDebianServers<K extends string>(
	group: 'queue' | 'ftp',
	keys: K[],
): Promise<Record<K, string>> {
	const script = join(repoRoot(), 'scripts', 'real-n8n', 'queue-services.sh');
	const result = await runProcess('bash', [script, 'install', group], {
		name: `queue-services.sh install ${group}`,
		timeoutMs: 15 * 60_000,
		onLine: (line, stream) => {
			if (stream === 'stderr') process.stderr.write(line + '\n');
		},
	});
	const paths = {} as Record<K, string>;
	for (const key of keys) {
		const value = result.stdout.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
		if (!value) throw new Error(`queue-services.sh printed no ${key}:\n${result.lines.join('\n')}`);
		paths[key] = value;
	}
	return paths;
}

let ensuring: Promise<QueueServicePaths> | undefined;

/** Installs Debian's postgresql and redis-server when missing (scripts/real-n8n/queue-services.sh). */
export function ensureQueueServices(): Promise<QueueServicePaths> {
	ensuring ??= logStep('queue services installed (postgresql, redis-server)', async () => {
		const paths = await installDebianServers('queue', ['POSTGRES_BIN_DIR', 'REDIS_SERVER']);
		return { postgresBinDir: paths.POSTGRES_BIN_DIR, redisServer: paths.REDIS_SERVER };
	});
	return ensuring;
}

export interface PostgresServer {
	connection: PostgresConnection;
	process: SpawnedProcess;
	dir: string;
	stop(): Promise<void>;
}

/** The uid/gid to run postgres as: postgres refuses to run as root. */
function postgresUser(): { uid: number; gid: number } | undefined {
	if (process.getuid?.() !== 0) return undefined;
	const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
	const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
	return { uid, gid };
}

/**
 * initdb + postgres on 127.0.0.1:<free port>, trust authentication, fsync off (throwaway data), and a
 * database `n8n` owned by the superuser `n8n`.
 */
export async function startPostgres(options: { parentDir?: string } = {}): Promise<PostgresServer> {
	const paths = await ensureQueueServices();
	const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'evergis-pg-'));
	const dataDir = join(dir, 'data');
	const socketDir = join(dir, 'socket');
	mkdirSync(socketDir);
	const user = postgresUser();
	if (user) {
		chmodSync(dir, 0o755);
		chownSync(dir, user.uid, user.gid);
		chownSync(socketDir, user.uid, user.gid);
	}
	const bin = (name: string) => join(paths.postgresBinDir, name);
	const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };
	await logStep('postgres initdb', () =>
		runProcess(
			bin('initdb'),
			['-D', dataDir, '-U', 'n8n', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
			{ name: 'initdb', env, cwd: dir, ...user, timeoutMs: 120_000 },
		),
	);
	const port = await freePort();
	const proc = spawnProcess(
		bin('postgres'),
		[
			'-D',
			dataDir,
			'-p',
			String(port),
			'-c',
			'listen_addresses=127.0.0.1',
			'-c',
			`unix_socket_directories=${socketDir}`,
			'-c',
			'fsync=off',
			'-c',
			'synchronous_commit=off',
			'-c',
			'full_page_writes=off',
			'-c',
			'max_connections=200',
		],
		{ name: 'postgres', env, cwd: dir, ...user, logFile: join(dir, 'postgres.log') },
	);
	await logStep('postgres ready', async () => {
		await proc.waitForLine(/database system is ready to accept connections/, 60_000);
		await runProcess(bin('createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'n8n', 'n8n'], {
			name: 'createdb',
			env,
			timeoutMs: 60_000,
		});
	});
	return {
		connection: { host: '127.0.0.1', port, user: 'n8n', password: 'n8n', database: 'n8n' },
		process: proc,
		dir,
		stop: async () => {
			// SIGINT is postgres' "fast shutdown"
			await proc.stop('SIGINT', 15_000);
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

export interface RedisServer {
	connection: RedisConnection;
	process: SpawnedProcess;
	dir: string;
	stop(): Promise<void>;
}

/** redis-server on 127.0.0.1:<free port>, no persistence, its files in a throwaway folder. */
export async function startRedis(options: { parentDir?: string } = {}): Promise<RedisServer> {
	const paths = await ensureQueueServices();
	const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'evergis-redis-'));
	const port = await freePort();
	const proc = spawnProcess(
		paths.redisServer,
		[
			'--port',
			String(port),
			'--bind',
			'127.0.0.1',
			'--dir',
			dir,
			'--save',
			'',
			'--appendonly',
			'no',
			'--daemonize',
			'no',
			'--protected-mode',
			'yes',
			'--logfile',
			'',
		],
		{ name: 'redis-server', cwd: dir, logFile: join(dir, 'redis.log') },
	);
	await logStep('redis ready', () => proc.waitForLine(/Ready to accept connections/, 30_000));
	return {
		connection: { host: '127.0.0.1', port },
		process: proc,
		dir,
		stop: async () => {
			await proc.stop('SIGTERM', 10_000);
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

export interface QueueServices {
	postgres: PostgresServer;
	redis: RedisServer;
	stop(): Promise<void>;
}

/** PostgreSQL and Redis, started side by side. */
export async function startQueueServices(
	options: { parentDir?: string } = {},
): Promise<QueueServices> {
	await ensureQueueServices();
	const [postgres, redis] = await Promise.all([startPostgres(options), startRedis(options)]);
	return {
		postgres,
		redis,
		stop: async () => {
			await Promise.all([postgres.stop(), redis.stop()]);
		},
	};
}
