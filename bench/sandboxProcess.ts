import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import type { SandboxStats, TaskRecord, UploadRecord } from '../sandbox';

export const USER = { username: 'demo', password: 'demo-password' };

export interface SandboxProcessOptions {
	latencyMs: number;
	taskDurationMs: number;
	storageDir: string;
	/** One log line per request on stdout (the upload timings are read from it). */
	log: boolean;
	/** Left out: the CLI's default (20, as EverGIS; EVERGIS_SANDBOX_MAX_ACTIVE_REQUESTS). 0 = none. */
	maxActiveRequests?: number;
	/** Left out: the CLI's default (0). */
	latencyPerActiveRequestMs?: number;
	/** Left out: the CLI's default (false). */
	renameUploads?: boolean;
}

/** One request the sandbox logged: `POST /sp/upload/file 200 4321ms`. */
export interface LoggedRequest {
	method: string;
	path: string;
	status: string;
	ms: number;
	/** When the line was read here (performance.now() of this process). */
	at: number;
}

/** A client of the sandbox's API (login) and of its control routes (stats, options, finish). */
export class SandboxControl {
	readonly origin: string;

	constructor(readonly url: string) {
		this.origin = new URL(url).origin;
	}

	async stats(): Promise<{ stats: SandboxStats; tasks: TaskRecord[]; uploads: UploadRecord[] }> {
		return (await this.control('GET', '/stats')) as {
			stats: SandboxStats;
			tasks: TaskRecord[];
			uploads: UploadRecord[];
		};
	}

	async counters(): Promise<SandboxStats> {
		return (await this.stats()).stats;
	}

	async resetStats(): Promise<void> {
		await this.control('POST', '/reset-stats');
	}

	async setOptions(patch: Record<string, unknown>): Promise<void> {
		await this.control('POST', '/options', patch);
	}

	async finishTask(id: string, status = 'Completed'): Promise<void> {
		await this.control('POST', `/finish/${encodeURIComponent(id)}?status=${status}`);
	}

	/** A JWT for a client other than n8n (curl), by logging in as the API's own clients do. */
	async login(): Promise<string> {
		const response = await fetch(`${this.url}/account/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(USER),
		});
		if (!response.ok) throw new Error(`sandbox login: HTTP ${response.status}`);
		return ((await response.json()) as { token: string }).token;
	}

	private async control(method: string, path: string, body?: unknown): Promise<unknown> {
		const response = await fetch(`${this.origin}/__sandbox${path}`, {
			method,
			headers: body === undefined ? {} : { 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		if (!response.ok) {
			throw new Error(
				`sandbox ${method} ${path}: HTTP ${response.status} ${await response.text()}`,
			);
		}
		return await response.json();
	}
}

/**
 * The EverGIS sandbox in its own process, through its CLI (`node build/.../sandbox/cli.js`), as
 * a remote server would be: it does not share the event loop or the heap of the n8n process.
 */
export class SandboxProcess extends SandboxControl {
	readonly requests: LoggedRequest[] = [];
	private waiters: Array<() => void> = [];

	private constructor(
		private readonly child: ChildProcess,
		url: string,
	) {
		super(url);
	}

	get pid(): number {
		return this.child.pid ?? -1;
	}

	static async start(buildRoot: string, options: SandboxProcessOptions): Promise<SandboxProcess> {
		const child = spawn(process.execPath, [join(buildRoot, 'sandbox', 'cli.js')], {
			env: {
				...process.env,
				EVERGIS_SANDBOX_PORT: '0',
				EVERGIS_SANDBOX_LATENCY_MS: String(options.latencyMs),
				EVERGIS_SANDBOX_TASK_DURATION_MS: String(options.taskDurationMs),
				EVERGIS_SANDBOX_STORAGE_DIR: options.storageDir,
				EVERGIS_SANDBOX_LOG: options.log ? '1' : '0',
				...(options.maxActiveRequests === undefined
					? {}
					: { EVERGIS_SANDBOX_MAX_ACTIVE_REQUESTS: String(options.maxActiveRequests) }),
				...(options.latencyPerActiveRequestMs === undefined
					? {}
					: {
							EVERGIS_SANDBOX_LATENCY_PER_ACTIVE_REQUEST_MS: String(
								options.latencyPerActiveRequestMs,
							),
						}),
				...(options.renameUploads === undefined
					? {}
					: { EVERGIS_SANDBOX_RENAME_UPLOADS: options.renameUploads ? '1' : '0' }),
			},
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		const lines = createInterface({ input: child.stdout });
		// The log lines come through this listener for the life of the process.
		const created: { instance?: SandboxProcess } = {};
		const url = await new Promise<string>((resolve, reject) => {
			child.once('exit', (code) =>
				reject(new Error(`the sandbox exited (${code}) before listening`)),
			);
			lines.on('line', (line) => {
				const started = /^EverGIS sandbox: (\S+)/.exec(line);
				if (started) resolve(started[1]);
				const logged = /^(\w+) (\S+) (\S+) (\d+)ms/.exec(line);
				if (logged) created.instance?.record(logged);
			});
		});
		created.instance = new SandboxProcess(child, url);
		return created.instance;
	}

	private record(match: RegExpExecArray): void {
		this.requests.push({
			method: match[1],
			path: match[2],
			status: match[3],
			ms: Number(match[4]),
			at: performance.now(),
		});
		for (const wake of this.waiters.splice(0)) wake();
	}

	/** The upload requests logged after index `from`, waiting up to `timeoutMs` for `count` of them. */
	async uploadsSince(from: number, count = 1, timeoutMs = 5_000): Promise<LoggedRequest[]> {
		const deadline = performance.now() + timeoutMs;
		for (;;) {
			const uploads = this.requests
				.slice(from)
				.filter((r) => r.method === 'POST' && r.path.endsWith('/upload/file'));
			if (uploads.length >= count || performance.now() > deadline) return uploads;
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, 100);
				this.waiters.push(() => {
					clearTimeout(timer);
					resolve();
				});
			});
		}
	}

	async stop(): Promise<void> {
		if (this.child.exitCode !== null) return;
		const exited = once(this.child, 'exit');
		this.child.kill('SIGTERM');
		await exited;
	}
}
