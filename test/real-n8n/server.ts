import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { freePort } from './ports';
import { describeExit, spawnProcess, type ExitInfo, type SpawnedProcess } from './processes';
import type { UserFolder } from './user-folder';

export interface StartN8nOptions {
	/** 'queue' needs a folder made with `postgres` and `redis`. Default: 'queue' if the folder has redis. */
	mode?: 'regular' | 'queue';
	/** 'main' runs `n8n start`, 'worker' runs `n8n worker` (queue mode only). Default 'main'. */
	role?: 'main' | 'worker';
	/** A name for logs; default `main`, `worker-1`, ... */
	name?: string;
	/** `n8n worker --concurrency` (n8n's default is 10). */
	concurrency?: number;
	/** More environment variables for this process. */
	env?: Record<string, string>;
	/** Echo the process's output to this process's stderr as it comes (or EVERGIS_N8N_ECHO=1). */
	echo?: boolean;
}

export interface N8nProcess {
	name: string;
	role: 'main' | 'worker';
	mode: 'regular' | 'queue';
	pid: number;
	/** N8N_PORT: the editor, REST API and webhooks of a main. */
	port: number;
	/** `http://127.0.0.1:<port>` for a main; the health server's URL for a worker. */
	baseUrl: string;
	brokerPort: number;
	/** A worker's health server port (QUEUE_HEALTH_CHECK_PORT). */
	healthPort?: number;
	/** Lines printed so far (stdout and stderr). */
	lines: string[];
	/** The log file of this process. */
	logFile: string;
	/** Production webhook URL of `path`: `<baseUrl>/webhook/<path>`. */
	webhookUrl(path: string): string;
	/** Resolves when n8n answers `/healthz/readiness` with 200; rejects if it exits first. */
	waitReady(timeoutMs?: number): Promise<void>;
	waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
	/** SIGTERM to the process group, then SIGKILL after `timeoutMs` (default 30 s). */
	stop(timeoutMs?: number): Promise<ExitInfo>;
	exited: Promise<ExitInfo>;
	process: SpawnedProcess;
}

let workerCount = 0;

/** Starts `n8n start` or `n8n worker` for the folder, on free ports, in its own process group. */
export async function startN8n(
	folder: UserFolder,
	options: StartN8nOptions = {},
): Promise<N8nProcess> {
	const role = options.role ?? 'main';
	const mode = options.mode ?? (folder.options.redis ? 'queue' : 'regular');
	if (mode === 'queue' && !(folder.options.redis && folder.options.postgres)) {
		throw new Error('queue mode needs a user folder created with `postgres` and `redis`');
	}
	if (role === 'worker' && mode !== 'queue') throw new Error('n8n worker runs in queue mode only');
	const name = options.name ?? (role === 'main' ? 'main' : `worker-${++workerCount}`);
	const port = await freePort();
	const brokerPort = await freePort();
	const healthPort = role === 'worker' ? await freePort() : undefined;
	const env: Record<string, string> = {
		...folder.env,
		N8N_PORT: String(port),
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_WEBHOOK_URL: `http://127.0.0.1:${port}/`,
		EXECUTIONS_MODE: mode,
	};
	if (role === 'worker') {
		// A worker gets a user folder of its own: n8n keeps a crash journal and an event log per user
		// folder, and a second process on the same folder sleeps 10 s ("Last session crashed") and
		// writes into the others' files. Its nodes folder is the main's (a symlink); binary data
		// (N8N_STORAGE_PATH), database, queue and encryption key are shared through the environment.
		const own = join(folder.root, 'processes', name);
		mkdirSync(join(own, '.n8n'), { recursive: true });
		const nodesLink = join(own, '.n8n', 'nodes');
		if (!existsSync(nodesLink)) symlinkSync(folder.nodesDir, nodesLink, 'dir');
		env.N8N_USER_FOLDER = own;
	}
	if (healthPort !== undefined) {
		env.QUEUE_HEALTH_CHECK_ACTIVE = 'true';
		env.QUEUE_HEALTH_CHECK_PORT = String(healthPort);
	}
	Object.assign(env, options.env ?? {});
	const args = [folder.install.n8nBin, role === 'main' ? 'start' : 'worker'];
	if (role === 'worker' && options.concurrency !== undefined) {
		args.push(`--concurrency=${options.concurrency}`);
	}
	const logFile = join(folder.logsDir, `${name}.log`);
	const echo = options.echo ?? process.env.EVERGIS_N8N_ECHO === '1';
	const proc = spawnProcess(folder.install.node, args, {
		name: `n8n ${name}`,
		env,
		cwd: folder.root,
		logFile,
		onLine: echo ? (line) => process.stderr.write(`[${name}] ${line}\n`) : undefined,
	});
	const baseUrl =
		role === 'main' ? `http://127.0.0.1:${port}` : `http://127.0.0.1:${healthPort ?? port}`;
	return {
		name,
		role,
		mode,
		pid: proc.pid,
		port,
		baseUrl,
		brokerPort,
		healthPort,
		lines: proc.lines,
		logFile,
		process: proc,
		exited: proc.exited,
		webhookUrl: (path) => `${baseUrl}/webhook/${path.replace(/^\//, '')}`,
		waitReady: (timeoutMs = 180_000) => waitReady(proc, `${baseUrl}/healthz/readiness`, timeoutMs),
		waitForLine: (re, timeoutMs = 60_000) => proc.waitForLine(re, timeoutMs),
		stop: (timeoutMs = 30_000) => proc.stop('SIGTERM', timeoutMs),
	};
}

async function waitReady(proc: SpawnedProcess, url: string, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (!proc.running) {
			throw new Error(
				`${proc.name} exited (${describeExit(proc.exitInfo)}) before it was ready; last lines:\n${proc.tail(60)}`,
			);
		}
		try {
			const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
			if (response.status === 200) return;
		} catch {
			// not listening yet
		}
		await sleep(250);
	}
	throw new Error(
		`${proc.name} was not ready within ${timeoutMs} ms (${url}); last lines:\n${proc.tail(60)}`,
	);
}

/**
 * Waits until n8n has registered the production webhook `path`, by probing it with a method the
 * webhook does not use (so that the probe starts no execution): n8n answers 404 "The requested webhook
 * ... is not registered" until then, and 404 "This webhook is not registered for <probe> requests.
 * Did you mean to make a <method> request?" after. n8n 2.x activates published workflows in the
 * background after `/healthz/readiness` turns 200, so wait for this before calling a webhook.
 */
export async function waitForWebhook(
	main: N8nProcess,
	path: string,
	options: { probeMethod?: string; timeoutMs?: number } = {},
): Promise<void> {
	const probe = options.probeMethod ?? 'PATCH';
	const timeoutMs = options.timeoutMs ?? 60_000;
	const deadline = Date.now() + timeoutMs;
	let last = '';
	while (Date.now() < deadline) {
		if (!main.process.running)
			throw new Error(`${main.name} exited; last lines:\n${main.process.tail(60)}`);
		try {
			const response = await fetch(main.webhookUrl(path), {
				method: probe,
				signal: AbortSignal.timeout(5_000),
			});
			last = `${response.status} ${await response.text()}`;
			if (response.status !== 404 || /Did you mean to make a/i.test(last)) return;
		} catch (error) {
			last = String(error);
		}
		await sleep(300);
	}
	throw new Error(
		`webhook "${path}" not registered within ${timeoutMs} ms; last answer: ${last.slice(0, 300)}`,
	);
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}
