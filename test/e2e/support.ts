/**
 * Small helpers of the end-to-end suite: the sandbox's request log with waiters, a local HTTP server
 * that serves a raster (for the HTTP download example), part timings, and a scan for secrets.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** One request the sandbox answered, as its `log` option reports it. */
export interface LoggedRequest {
	at: number;
	method: string;
	path: string;
	outcome: string;
}

/**
 * Collects the sandbox's request log (pass `log.add` as the sandbox's `log` option) and resolves
 * waiters as soon as a request makes their condition true.
 */
export class RequestLog {
	readonly requests: LoggedRequest[] = [];
	private readonly events = new EventEmitter();

	readonly add = (line: string): void => {
		const [method = '', path = '', outcome = ''] = line.split(' ');
		this.requests.push({ at: Date.now(), method, path, outcome });
		this.events.emit('request');
	};

	/** Requests for the progress of task `id` (any of the two routes). */
	progressOf(id: string): LoggedRequest[] {
		return this.requests.filter(
			(request) => request.method === 'GET' && request.path.endsWith(`/${id}/progress`),
		);
	}

	/**
	 * Resolves with what `until()` returned once it is truthy (checked now and after every request).
	 * The caller's continuation runs in the same turn (a microtask), before the sandbox handles
	 * another request.
	 */
	waitFor<T>(until: () => T | undefined | false, timeoutMs: number, describe: string): Promise<T> {
		const now = until();
		if (now) return Promise.resolve(now);
		return new Promise<T>((resolve, reject) => {
			const check = () => {
				const value = until();
				if (!value) return;
				clearTimeout(timer);
				this.events.off('request', check);
				resolve(value);
			};
			const timer = setTimeout(() => {
				this.events.off('request', check);
				reject(new Error(`sandbox request log: ${describe} did not happen within ${timeoutMs} ms`));
			}, timeoutMs);
			this.events.on('request', check);
		});
	}
}

export interface FileServer {
	url(path: string): string;
	requests: Array<{ method: string; path: string; status: number; authorization?: string }>;
	close(): Promise<void>;
}

/** Serves `files` (URL path → local file) over HTTP on 127.0.0.1, as a plain web server would. */
export async function startFileServer(files: Record<string, string>): Promise<FileServer> {
	const requests: FileServer['requests'] = [];
	const server: Server = createServer((req, res) => {
		const path = new URL(req.url ?? '/', 'http://localhost').pathname;
		const file = files[path];
		const authorization = req.headers.authorization;
		if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
			requests.push({ method: req.method ?? '', path, status: 404, authorization });
			res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
			return;
		}
		requests.push({ method: req.method ?? '', path, status: 200, authorization });
		res.writeHead(200, {
			'content-type': 'image/tiff',
			'content-length': String(statSync(file).size),
		});
		if (req.method === 'HEAD') res.end();
		else createReadStream(file).pipe(res);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
	const { port } = server.address() as AddressInfo;
	return {
		url: (path) => `http://127.0.0.1:${port}${path}`,
		requests,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

export function sha256(file: string): string {
	return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** How long each part of the suite took, printed at the end. */
export class PartTimings {
	private readonly parts: Array<{ name: string; ms: number; ok: boolean }> = [];

	async run<T>(name: string, action: () => Promise<T>): Promise<T> {
		const start = Date.now();
		process.stderr.write(`\n[e2e] ── ${name} ──\n`);
		let ok = false;
		try {
			const result = await action();
			ok = true;
			return result;
		} finally {
			const ms = Date.now() - start;
			this.parts.push({ name, ms, ok });
			process.stderr.write(
				`[e2e] ${name}: ${ok ? 'passed' : 'FAILED'} in ${(ms / 1000).toFixed(1)} s\n`,
			);
		}
	}

	summary(): string {
		const width = Math.max(...this.parts.map((part) => part.name.length), 10);
		const total = this.parts.reduce((sum, part) => sum + part.ms, 0);
		return [
			...this.parts.map(
				(part) =>
					`  ${part.name.padEnd(width)}  ${(part.ms / 1000).toFixed(1).padStart(7)} s${part.ok ? '' : '  FAILED'}`,
			),
			`  ${'in all'.padEnd(width)}  ${(total / 1000).toFixed(1).padStart(7)} s`,
		].join('\n');
	}
}

/** Every file below `dir` (recursively) whose name matches `pattern`. */
export function filesBelow(dir: string, pattern: RegExp): string[] {
	const found: string[] = [];
	let entries;
	try {
		entries = readdirSync(dir, { withFileTypes: true });
	} catch {
		return found;
	}
	for (const entry of entries) {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) found.push(...filesBelow(path, pattern));
		else if (entry.isFile() && pattern.test(entry.name)) found.push(path);
	}
	return found;
}

/**
 * Where each secret occurs in `texts` (label → content): a list of `secret… in label: context`, empty
 * when none does. Secrets shorter than 6 characters are ignored (they would match by chance).
 */
export function findSecrets(texts: Map<string, string>, secrets: string[]): string[] {
	const found: string[] = [];
	for (const secret of new Set(secrets.filter((value) => value && value.length >= 6))) {
		for (const [label, text] of texts) {
			const at = text.indexOf(secret);
			if (at < 0) continue;
			found.push(
				`${secret.slice(0, 10)}… in ${label}: …${text.slice(Math.max(0, at - 100), at + 30)}…`,
			);
		}
	}
	return found;
}
