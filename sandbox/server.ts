import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CONTROL_PREFIX, handleControl } from './control';
import { SandboxCore } from './core';
import { errorReply, nginxReply, writeReply, type Reply } from './http-util';
import { isFaultKind, isRouteName, OptionError, resolveOptions } from './options';
import { matchRoute, type RouteContext } from './routes';
import { copyStats } from './stats';
import type { FaultKind, RouteName, Sandbox, SandboxOptions } from './types';

// The HTTP side: one dispatcher for every request. Order for an API request: count it, apply
// the proxy's body limit, decide its fault (queued failNext first, then the seeded random ones),
// wait the latency, then either fail or authenticate and run the route.

const STATUS_FAULTS: Partial<Record<FaultKind, number>> = {
	'500': 500,
	'502': 502,
	'503': 503,
	'504': 504,
	'429': 429,
	'419': 419,
	'401': 401,
};

/** Bytes of the body a 'reset' fault reads before it drops the connection. */
const RESET_READ_BYTES = 64 * 1024;

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads up to `bytes` of the request body (or until it ends, or `ms` passed), then stops. */
function readSome(req: IncomingMessage, bytes: number, ms: number): Promise<void> {
	return new Promise((resolve) => {
		let got = 0;
		const done = (): void => {
			clearTimeout(timer);
			req.off('data', onData);
			req.off('end', done);
			req.off('close', done);
			req.pause();
			resolve();
		};
		const onData = (chunk: Buffer): void => {
			got += chunk.length;
			if (got >= bytes) done();
		};
		const timer = setTimeout(done, ms);
		req.on('data', onData);
		req.once('end', done);
		req.once('close', done);
	});
}

function faultReply(kind: FaultKind): Reply | undefined {
	if (kind === 'html') return nginxReply(502);
	const status = STATUS_FAULTS[kind];
	if (status === undefined) return undefined;
	const headers = status === 429 || status === 503 ? { 'retry-after': '1' } : undefined;
	return errorReply(status, `Injected fault: ${status}`, headers);
}

function listen(server: Server, port: number, host: string): Promise<void> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
	const madeDir = options.storageDir === undefined;
	const storageDir = options.storageDir ?? (await mkdtemp(join(tmpdir(), 'evergis-sandbox-')));
	let core: SandboxCore;
	try {
		core = new SandboxCore(resolveOptions(options, storageDir));
	} catch (error) {
		if (madeDir) await rm(storageDir, { recursive: true, force: true });
		throw error;
	}
	const o = core.options;
	const hung = new Set<ServerResponse>();

	const send = (res: ServerResponse, reply: Reply): void => {
		core.changed();
		core.statsFile.flush();
		writeReply(res, reply);
	};
	const drop = (res: ServerResponse): void => {
		core.changed();
		core.statsFile.flush();
		res.destroy();
	};

	async function handleApi(
		req: IncomingMessage,
		res: ServerResponse,
		url: URL,
		path: string,
		note: (fault: FaultKind) => void,
	): Promise<void> {
		const method = req.method ?? 'GET';
		const match = matchRoute(method, path);
		if (match.kind !== 'route') {
			core.stats.requests.unknown++;
			if (o.latencyMs > 0) await sleep(o.latencyMs);
			if (match.kind === 'method') {
				send(
					res,
					errorReply(405, `${method} is not allowed on ${url.pathname}`, {
						allow: match.allowed.join(', '),
					}),
				);
			} else {
				send(res, errorReply(404, `No API endpoint ${method} ${url.pathname}`));
			}
			return;
		}
		const { route, params } = match;
		const name: RouteName = route.name;
		core.stats.requests[name]++;

		const length = Number(req.headers['content-length'] ?? 0);
		if (o.maxUploadBytes !== undefined && length > o.maxUploadBytes) {
			send(res, nginxReply(413, { connection: 'close' }));
			return;
		}

		const fault = core.faults.decide(name);
		if (fault) {
			core.stats.faults[name]++;
			note(fault);
		}
		if (o.latencyMs > 0) await sleep(o.latencyMs);

		if (fault) {
			const reply = faultReply(fault);
			if (reply) {
				send(res, reply);
				return;
			}
			if (fault === 'reset') {
				await readSome(req, RESET_READ_BYTES, 2000);
				drop(res);
				return;
			}
			if (fault === 'hang') {
				hung.add(res);
				res.once('close', () => hung.delete(res));
				req.resume();
				core.changed();
				core.statsFile.flush();
				return;
			}
		}

		const ctx = { req, res, url, params, core } as RouteContext;
		if (route.auth) {
			const auth = core.auth.authenticate(req);
			if (!auth.ok) {
				send(res, errorReply(401, auth.message));
				return;
			}
			ctx.user = auth.user;
		}
		const reply = await route.handler(ctx);
		if (fault === 'reset-after') drop(res);
		else if (fault === '500-after')
			send(res, errorReply(500, 'Injected fault: 500 after the work'));
		else send(res, reply);
	}

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const started = performance.now();
		const method = req.method ?? 'GET';
		let url: URL;
		try {
			url = new URL(req.url ?? '/', 'http://sandbox.invalid');
		} catch {
			url = new URL('http://sandbox.invalid/');
		}
		// As nginx (merge_slashes): "//" counts as "/".
		const pathname = url.pathname.replace(/\/{2,}/g, '/');
		let fault: FaultKind | undefined;
		res.once('close', () => {
			const log = o.log;
			if (!log) return;
			const outcome = res.headersSent ? String(res.statusCode) : hung.has(res) ? 'hang' : 'reset';
			const ms = Math.round(performance.now() - started);
			try {
				log(`${method} ${pathname} ${outcome} ${ms}ms${fault ? ` fault=${fault}` : ''}`);
			} catch {
				// A failing log callback must not break the server.
			}
		});
		try {
			if (pathname === CONTROL_PREFIX || pathname.startsWith(`${CONTROL_PREFIX}/`)) {
				const reply = await handleControl(core, req, url);
				core.statsFile.flush();
				writeReply(res, reply);
				return;
			}
			const prefix = o.prefix;
			if (prefix !== '' && pathname !== prefix && !pathname.startsWith(`${prefix}/`)) {
				// A host without the API prefix: the web server's own 404 page.
				core.stats.requests.unknown++;
				send(res, nginxReply(404));
				return;
			}
			let path = pathname.slice(prefix.length);
			if (path.length > 1) path = path.replace(/\/+$/, '');
			if (path === '') path = '/';
			await handleApi(req, res, url, path, (f) => {
				fault = f;
			});
		} catch (error) {
			if (!res.headersSent && !res.destroyed) {
				send(res, errorReply(500, `Sandbox error: ${(error as Error).message}`));
			}
		}
	}

	const server = createServer({ requestTimeout: 0, keepAliveTimeout: 5000 }, (req, res) => {
		void handle(req, res);
	});
	// `Expect: 100-continue` (curl sends it for large bodies): a body over the proxy limit gets its
	// 413 at once, as from nginx, instead of an invitation to send it.
	server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
		const length = Number(req.headers['content-length'] ?? 0);
		if (o.maxUploadBytes === undefined || !(length > o.maxUploadBytes)) res.writeContinue();
		void handle(req, res);
	});
	try {
		await listen(server, o.port, o.host);
	} catch (error) {
		core.statsFile.stop();
		if (madeDir) await rm(storageDir, { recursive: true, force: true });
		throw error;
	}
	o.port = (server.address() as AddressInfo).port;
	const origin = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;

	let closing: Promise<void> | undefined;
	const sandbox: Sandbox = {
		url: `${origin}${o.prefix}`,
		origin,
		options: o,
		setOptions: (patch) => core.setOptions(patch),
		failNext(route, kind, count = 1) {
			if (!isRouteName(route)) throw new OptionError(`failNext: unknown route '${route}'`);
			if (!isFaultKind(kind)) throw new OptionError(`failNext: unknown fault kind '${kind}'`);
			if (!Number.isInteger(count) || count < 1) {
				throw new OptionError('failNext: count must be a positive integer');
			}
			core.faults.failNext(route, kind, count);
		},
		stats: () => copyStats(core.stats),
		resetStats: () => core.resetStats(),
		tasks: () => core.tasks.records(),
		uploads: () => core.storage.records(),
		issuedSecrets: () => core.auth.issuedSecrets(),
		catalog(name) {
			core.tasks.settleAll();
			return core.catalogs.record(name);
		},
		finishTask(id, status, message) {
			core.tasks.finish(id, status, message);
			core.statsFile.flush();
		},
		close() {
			closing ??= (async () => {
				core.statsFile.stop();
				for (const res of hung) res.destroy();
				await new Promise<void>((resolve) => {
					server.close(() => resolve());
					server.closeAllConnections();
				});
				if (madeDir) await rm(storageDir, { recursive: true, force: true });
			})();
			return closing;
		},
	};
	return sandbox;
}
