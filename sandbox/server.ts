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
import type { FaultKind, RouteName, Sandbox, SandboxOptions, StatsRouteName } from './types';

/** What the request log says about a request beyond its status. */
interface Seen {
	expectsContinue: boolean;
	fault?: FaultKind;
	/** Answered 419 by maxActiveRequests. */
	refused: boolean;
}

// The HTTP side: one dispatcher for every request. Order for an API request: count it, apply
// the proxy's body limit, admit it against maxActiveRequests (or answer 419), decide its fault
// (queued failNext first, then the seeded random ones), wait the latency, then either fail or
// authenticate and run the route. An admitted request counts as active until its answer is over
// and its work is done.

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
	// EverGIS's own refusal of a request it checked (ASP.NET validation shape): nothing was done.
	// As if the server did not serve the route (ASP.NET's empty 404).
	if (kind === '404') return { status: 404 };
	if (kind === '400') {
		return {
			status: 400,
			body: {
				title: 'One or more validation errors occurred.',
				errors: { request: ['Injected fault: 400'] },
			},
		};
	}
	const status = STATUS_FAULTS[kind];
	if (status === undefined) return undefined;
	const headers = status === 429 || status === 503 ? { 'retry-after': '1' } : undefined;
	return errorReply(status, `Injected fault: ${status}`, headers);
}

/**
 * A JSON error in ASP.NET's problem details shape (errorBody 'problemDetails'): the message is its
 * `detail`, the status's reason its `title`.
 */
function asProblemDetails(reply: Reply): Reply {
	const body = reply.body as { message?: unknown; errorType?: unknown; statusCode?: unknown };
	if (!body || typeof body !== 'object' || !('errorType' in body) || !('statusCode' in body)) {
		return reply;
	}
	return {
		...reply,
		body: {
			type: `https://httpstatuses.io/${reply.status}`,
			title: STATUS_TITLES[reply.status] ?? 'Error',
			status: reply.status,
			detail: body.message,
			traceId: '00-sandbox-00',
		},
	};
}

const STATUS_TITLES: Record<number, string> = {
	400: 'Bad Request',
	401: 'Unauthorized',
	403: 'Forbidden',
	404: 'Not Found',
	409: 'Conflict',
	413: 'Payload Too Large',
	419: 'Too Many Active Requests',
	429: 'Too Many Requests',
	500: 'Internal Server Error',
	502: 'Bad Gateway',
	503: 'Service Unavailable',
	504: 'Gateway Timeout',
};

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

	// Requests waiting out their latency. The wait ends at start + latencyMs +
	// latencyPerActiveRequestMs × (others active at admission), with the knobs as they are now: a
	// change of knobs re-times the waits already under way (a test can hold requests with a huge
	// latency and let them go by setting it back), and close() ends them.
	const waiting = new Map<() => void, () => void>();
	const latencyOf = (othersActive: number): number =>
		o.latencyMs + o.latencyPerActiveRequestMs * othersActive;
	const waitLatency = (othersActive: number): Promise<void> | undefined => {
		if (latencyOf(othersActive) <= 0) return undefined;
		const start = performance.now();
		return new Promise<void>((resolve) => {
			let timer: NodeJS.Timeout | undefined;
			const end = (): void => {
				clearTimeout(timer);
				waiting.delete(retime);
				resolve();
			};
			const retime = (): void => {
				clearTimeout(timer);
				const left = start + latencyOf(othersActive) - performance.now();
				if (left <= 0) end();
				else timer = setTimeout(end, left);
			};
			waiting.set(retime, end);
			retime();
		});
	};
	core.optionsChanged.add(() => {
		for (const retime of [...waiting.keys()]) retime();
	});

	const send = (res: ServerResponse, reply: Reply): void => {
		if (!res.headersSent && !res.destroyed) core.answered(reply.status);
		core.changed();
		core.statsFile.flush();
		writeReply(res, o.errorBody === 'problemDetails' ? asProblemDetails(reply) : reply);
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
		seen: Seen,
		proceed: () => void,
	): Promise<void> {
		const method = req.method ?? 'GET';
		const match = matchRoute(method, path, o.dialect);
		const name: StatsRouteName = match.kind === 'route' ? match.route.name : 'unknown';
		core.stats.requests[name]++;

		// The proxy in front (client_max_body_size) refuses before EverGIS sees the request.
		const length = Number(req.headers['content-length'] ?? 0);
		if (o.maxUploadBytes !== undefined && length > o.maxUploadBytes) {
			send(res, nginxReply(413, { connection: 'close' }));
			return;
		}

		// maximumActiveRequests: past the limit, 419 at once, and the request is not processed.
		const active = core.load.tryEnter();
		if (!active) {
			core.stats.refused[name]++;
			core.stats.refusedTotal++;
			seen.refused = true;
			// The body is read and thrown away (no 100 Continue is sent for it: then the connection
			// closes after the answer, as the client may or may not send the body).
			req.resume();
			send(
				res,
				errorReply(
					419,
					`Too many active requests (the server processes at most ${o.maxActiveRequests} at once)`,
					seen.expectsContinue ? { connection: 'close' } : undefined,
				),
			);
			return;
		}
		// Active from now until both the answer is over (or the connection gone) and the work done.
		let answerOver = false;
		let workDone = false;
		const settle = (): void => {
			if (answerOver && workDone) active.leave();
		};
		res.once('close', () => {
			answerOver = true;
			settle();
		});
		try {
			proceed();
			await processApi(req, res, url, name, match, seen, active.othersActive);
		} finally {
			workDone = true;
			settle();
		}
	}

	async function processApi(
		req: IncomingMessage,
		res: ServerResponse,
		url: URL,
		name: StatsRouteName,
		match: ReturnType<typeof matchRoute>,
		seen: Seen,
		othersActive: number,
	): Promise<void> {
		// The latency is part of the processing: the request counts as active while it waits.
		if (match.kind !== 'route') {
			await waitLatency(othersActive);
			// As ASP.NET's routing answers: no body; 405 with Allow for a path served with other methods.
			send(
				res,
				match.kind === 'method'
					? { status: 405, headers: { allow: match.allowed.join(', ') } }
					: { status: 404 },
			);
			return;
		}
		const { route, params } = match;
		const routeName = name as RouteName;

		const fault = core.faults.decide(routeName);
		if (fault) {
			core.stats.faults[routeName]++;
			seen.fault = fault;
		}
		await waitLatency(othersActive);

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

	async function handle(
		req: IncomingMessage,
		res: ServerResponse,
		expectsContinue = false,
	): Promise<void> {
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
		const seen: Seen = { expectsContinue, refused: false };
		let continued = false;
		// `Expect: 100-continue`: the body is invited only once the request is let through.
		const proceed = (): void => {
			if (!expectsContinue || continued || res.headersSent || res.destroyed) return;
			continued = true;
			res.writeContinue();
		};
		res.once('close', () => {
			const log = o.log;
			if (!log) return;
			const outcome = res.headersSent ? String(res.statusCode) : hung.has(res) ? 'hang' : 'reset';
			const ms = Math.round(performance.now() - started);
			const tags = `${seen.fault ? ` fault=${seen.fault}` : ''}${seen.refused ? ' busy' : ''}`;
			try {
				log(`${method} ${pathname} ${outcome} ${ms}ms${tags}`);
			} catch {
				// A failing log callback must not break the server.
			}
		});
		try {
			if (pathname === CONTROL_PREFIX || pathname.startsWith(`${CONTROL_PREFIX}/`)) {
				proceed();
				const reply = await handleControl(core, req, url);
				core.statsFile.flush();
				writeReply(res, reply);
				return;
			}
			const prefix = o.prefix;
			if (prefix !== '' && pathname !== prefix && !pathname.startsWith(`${prefix}/`)) {
				// A host without the API prefix: the web server's own 404 page.
				core.stats.requests.unknown++;
				proceed();
				send(res, nginxReply(404));
				return;
			}
			let path = pathname.slice(prefix.length);
			if (path.length > 1) path = path.replace(/\/+$/, '');
			if (path === '') path = '/';
			await handleApi(req, res, url, path, seen, proceed);
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
	// 413 at once, as from nginx, instead of an invitation to send it; a request past
	// maxActiveRequests its 419.
	// A request refused at once (413, 419) gets no 100 Continue: handle() sends it when it lets the
	// request through.
	server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
		void handle(req, res, true);
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
		failNext(route, kind, count = 1, after = 0) {
			if (!isRouteName(route)) throw new OptionError(`failNext: unknown route '${route}'`);
			if (!isFaultKind(kind)) throw new OptionError(`failNext: unknown fault kind '${kind}'`);
			if (!Number.isInteger(count) || count < 1) {
				throw new OptionError('failNext: count must be a positive integer');
			}
			core.faults.failNext(route, kind, count, after);
		},
		stats: () => core.statsSnapshot(),
		resetStats: () => core.resetStats(),
		tasks: () => core.tasks.records(),
		uploads: () => core.storage.records(),
		issuedSecrets: () => core.auth.issuedSecrets(),
		catalog(name) {
			core.tasks.settleAll();
			return core.catalogs.record(name);
		},
		shareCatalog(name, user, permissions) {
			core.catalogs.share(name, user, permissions);
		},
		finishTask(id, status, message) {
			core.tasks.finish(id, status, message);
			core.statsFile.flush();
		},
		close() {
			closing ??= (async () => {
				core.statsFile.stop();
				for (const res of hung) res.destroy();
				for (const end of [...waiting.values()]) end();
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
