/**
 * File sources for n8n's own FTP and S3 nodes, started as the test's own processes on free loopback
 * ports with their files in a throwaway folder. Each counts, at the server, the files that were
 * downloaded completely (not listings):
 *
 * - FTP: Debian's vsftpd (installed by `scripts/real-n8n/queue-services.sh install ftp`) with a config
 *   file of its own, serving a folder to anonymous logins (any password); downloads are read from its
 *   transfer log (`OK DOWNLOAD` lines).
 * - S3: s3rver (a dev dependency) run by scripts/real-n8n/s3-server.js, path-style buckets; object
 *   GETs are read from the JSON line the script prints per answered request.
 *
 * Both are SpawnedProcesses: stopAll() stops them (their folders stay until stop()).
 */
import {
	chmodSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	utimesSync,
	writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { repoRoot } from './install';
import { freePort, freePortRange } from './ports';
import { describeExit, spawnProcess, type SpawnedProcess } from './processes';
import { installDebianServers } from './queue';
import { sleep } from './server';
import { logStep } from './timing';

export interface FileSource {
	port: number;
	/** The throwaway folder (config, logs, stored files); removed by stop(). */
	dir: string;
	process: SpawnedProcess;
	/** Writes or replaces a file: a path below the FTP root (`in/a.tif`), or an S3 key. */
	put(path: string, content: string | Buffer): Promise<void>;
	remove(path: string): Promise<void>;
	/**
	 * Complete downloads per file since the start or the last resetDownloads(): FTP paths as vsftpd
	 * logs them (`/in/a.tif`), S3 keys (`in/a.tif`). Listings are not counted.
	 */
	downloads(): Record<string, number>;
	resetDownloads(): void;
	stop(): Promise<void>;
}

export interface FtpServer extends FileSource {
	/** The folder served as `/`. */
	root: string;
	passivePorts: number[];
	/** The `data` of n8n credentials of type `ftp`. */
	credentials: { host: string; port: number; username: string; password: string };
	/** `mtime`: the file's modification time (what the FTP node's List shows as modifyTime). */
	put(path: string, content: string | Buffer, options?: { mtime?: Date }): Promise<void>;
}

export interface S3Server extends FileSource {
	bucket: string;
	/** `http://127.0.0.1:<port>` */
	endpoint: string;
	/** The `data` of n8n credentials of type `s3` (path style). */
	credentials: {
		endpoint: string;
		region: string;
		accessKeyId: string;
		secretAccessKey: string;
		forcePathStyle: boolean;
		ignoreSSLIssues: boolean;
	};
}

/** downloads()/resetDownloads() over the list of downloaded files, in order. */
function downloadCounter(downloaded: () => string[]) {
	let from = 0;
	return {
		downloads: () => {
			const counts: Record<string, number> = {};
			for (const path of downloaded().slice(from)) counts[path] = (counts[path] ?? 0) + 1;
			return counts;
		},
		resetDownloads: () => {
			from = downloaded().length;
		},
	};
}

let ensuringVsftpd: Promise<string> | undefined;

/** Installs Debian's vsftpd when missing (scripts/real-n8n/queue-services.sh install ftp). */
export function ensureVsftpd(): Promise<string> {
	ensuringVsftpd ??= logStep('ftp server installed (vsftpd)', async () => {
		return (await installDebianServers('ftp', ['VSFTPD'])).VSFTPD;
	});
	return ensuringVsftpd;
}

/**
 * vsftpd on 127.0.0.1:<free port>, passive ports from a free range, serving `root` (default: a new
 * folder) to the user `anonymous` with any password. Runs as root: vsftpd locks an anonymous session
 * into the root folder (chroot) and drops to Debian's `ftp` user, so the files must be
 * world-readable (put() makes them so).
 */
export async function startFtpServer(
	options: { root?: string; parentDir?: string; passivePorts?: number } = {},
): Promise<FtpServer> {
	if (process.getuid?.() !== 0) {
		throw new Error('startFtpServer: vsftpd is run as root here (chroot, then the ftp user)');
	}
	const vsftpd = await ensureVsftpd();
	const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'evergis-ftp-'));
	const root = options.root ?? join(dir, 'root');
	mkdirSync(root, { recursive: true });
	chmodSync(root, 0o755);
	// Where the session's unprivileged part is locked in before login: empty, owned by root.
	mkdirSync(join(dir, 'empty'));
	const port = await freePort();
	const passivePorts = await freePortRange(options.passivePorts ?? 4);
	const transferLog = join(dir, 'vsftpd.log');
	const config = join(dir, 'vsftpd.conf');
	writeFileSync(
		config,
		[
			'listen=YES',
			'listen_ipv6=NO',
			'listen_address=127.0.0.1',
			`listen_port=${port}`,
			'background=NO',
			'anonymous_enable=YES',
			'no_anon_password=NO',
			`anon_root=${root}`,
			'local_enable=NO',
			'write_enable=NO',
			`secure_chroot_dir=${join(dir, 'empty')}`,
			'pasv_enable=YES',
			`pasv_min_port=${passivePorts[0]}`,
			`pasv_max_port=${passivePorts[passivePorts.length - 1]}`,
			'connect_from_port_20=NO',
			// vsftpd's own log format: one `OK DOWNLOAD: Client "…", "/path", N bytes` line per RETR.
			'xferlog_enable=YES',
			'xferlog_std_format=NO',
			`vsftpd_log_file=${transferLog}`,
			'syslog_enable=NO',
			'use_localtime=NO',
			'',
		].join('\n'),
	);
	const proc = spawnProcess(vsftpd, [config], {
		name: 'vsftpd',
		cwd: dir,
		logFile: join(dir, 'vsftpd.out'),
	});
	await logStep('vsftpd ready', () => waitForFtpGreeting(proc, port, 30_000));
	const downloaded = () => {
		let text = '';
		try {
			text = readFileSync(transferLog, 'utf8');
		} catch {
			// no transfer yet
		}
		return [...text.matchAll(/\] OK DOWNLOAD: Client "[^"]*", "(.*)", \d+ bytes,/g)].map(
			(match) => match[1],
		);
	};
	return {
		port,
		dir,
		root,
		passivePorts,
		process: proc,
		credentials: { host: '127.0.0.1', port, username: 'anonymous', password: 'n8n@example.com' },
		put: async (path, content, putOptions = {}) => {
			const file = join(root, path);
			mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
			writeFileSync(file, content, { mode: 0o644 });
			if (putOptions.mtime) utimesSync(file, putOptions.mtime, putOptions.mtime);
		},
		remove: async (path) => rmSync(join(root, path), { force: true }),
		...downloadCounter(downloaded),
		stop: async () => {
			await proc.stop('SIGTERM', 10_000);
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

/** Resolves once the server on `port` greets with `220`; rejects if `proc` exits first. */
async function waitForFtpGreeting(
	proc: SpawnedProcess,
	port: number,
	timeoutMs: number,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (!proc.running) {
			throw new Error(`vsftpd exited (${describeExit(proc.exitInfo)}):\n${proc.tail()}`);
		}
		const greeting = await new Promise<string>((resolve) => {
			const socket = connect(port, '127.0.0.1');
			socket.setTimeout(2_000, () => socket.destroy());
			socket.once('data', (data) => {
				resolve(data.toString('utf8'));
				socket.destroy();
			});
			socket.on('error', () => resolve(''));
			socket.on('close', () => resolve(''));
		});
		if (greeting.startsWith('220')) return;
		await sleep(100);
	}
	throw new Error(`vsftpd did not greet on port ${port} within ${timeoutMs} ms:\n${proc.tail()}`);
}

/** `encodeURIComponent` per path segment, as in an S3 URL. */
function keyPath(key: string): string {
	return key.split('/').map(encodeURIComponent).join('/');
}

/**
 * s3rver on 127.0.0.1:<free port> with the bucket `bucket` (default `sources`). n8n's S3 node signs
 * with s3rver's key pair (S3RVER/S3RVER): s3rver refuses other access keys but does not check
 * version 4 signatures. put() and remove() send unsigned PUT/DELETE requests, which it lets through.
 */
export async function startS3Server(
	options: { bucket?: string; parentDir?: string } = {},
): Promise<S3Server> {
	const bucket = options.bucket ?? 'sources';
	const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'evergis-s3-'));
	const port = await freePort();
	const endpoint = `http://127.0.0.1:${port}`;
	const downloaded: string[] = [];
	const objectPath = `/${bucket}/`;
	const script = join(repoRoot(), 'scripts', 'real-n8n', 's3-server.js');
	const proc = spawnProcess(
		process.execPath,
		[script, '--port', String(port), '--dir', join(dir, 'data'), '--bucket', bucket],
		{
			name: 's3rver',
			cwd: dir,
			logFile: join(dir, 's3rver.log'),
			onLine: (line, stream) => {
				if (stream !== 'stdout' || !line.startsWith('{"method":"GET"')) return;
				const answer = JSON.parse(line) as { url: string; status: number };
				const path = answer.url.split('?')[0];
				// GET /bucket/key is an object (GetObject); GET /bucket?… is a listing or the location.
				if ((answer.status === 200 || answer.status === 206) && path.startsWith(objectPath)) {
					const key = decodeURIComponent(path.slice(objectPath.length));
					if (key) downloaded.push(key);
				}
			},
		},
	);
	await logStep('s3rver ready', () => proc.waitForLine(/^\{"listening":/, 30_000));
	const send = async (method: 'PUT' | 'DELETE', key: string, body?: string | Buffer) => {
		const response = await fetch(`${endpoint}/${bucket}/${keyPath(key)}`, {
			method,
			body,
			signal: AbortSignal.timeout(30_000),
		});
		if (!response.ok) {
			throw new Error(`s3rver: ${method} ${key}: ${response.status} ${await response.text()}`);
		}
	};
	return {
		port,
		dir,
		bucket,
		endpoint,
		process: proc,
		credentials: {
			endpoint,
			region: 'us-east-1',
			accessKeyId: 'S3RVER',
			secretAccessKey: 'S3RVER',
			forcePathStyle: true,
			ignoreSSLIssues: false,
		},
		put: (key, content) => send('PUT', key, content),
		remove: (key) => send('DELETE', key),
		...downloadCounter(() => downloaded),
		stop: async () => {
			await proc.stop('SIGTERM', 10_000);
			rmSync(dir, { recursive: true, force: true });
		},
	};
}
