import type { IncomingMessage } from 'node:http';

import type { SandboxCore } from './core';
import { errorReply, isPlainObject, parseJson, readBody, type Reply } from './http-util';
import { isFaultKind, isRouteName, OptionError, publicOptions } from './options';
import { FINISH_STATUSES, type FinishStatus } from './types';

// Out-of-process control, outside the API prefix (no auth, no faults, not counted):
//   GET  /__sandbox/stats                         {stats, tasks, uploads}
//   GET  /__sandbox/options                       the knobs in force (no passwords)
//   POST /__sandbox/options                       JSON patch of knobs → the knobs in force
//   POST /__sandbox/finish/{taskId}?status=Completed[&message=...]
//   POST /__sandbox/fail-next                     {route, kind, count?}
//   POST /__sandbox/reset-stats

export const CONTROL_PREFIX = '/__sandbox';

type JsonObject = { ok: true; value: Record<string, unknown> } | { ok: false; reply: Reply };

async function jsonObject(req: IncomingMessage): Promise<JsonObject> {
	const parsed = parseJson(await readBody(req, 1024 * 1024));
	if (!parsed.ok) return { ok: false, reply: errorReply(400, parsed.message) };
	if (!isPlainObject(parsed.value)) {
		return { ok: false, reply: errorReply(400, 'A JSON object is expected') };
	}
	return { ok: true, value: parsed.value };
}

export async function handleControl(
	core: SandboxCore,
	req: IncomingMessage,
	url: URL,
): Promise<Reply> {
	const path = url.pathname.slice(CONTROL_PREFIX.length).replace(/\/+$/, '');
	const method = req.method ?? 'GET';
	if (method === 'GET' && path === '/stats') return { status: 200, body: core.snapshot() };
	if (method === 'GET' && path === '/options') {
		return { status: 200, body: publicOptions(core.options) };
	}
	if (method === 'POST' && path === '/options') {
		const parsed = await jsonObject(req);
		if (!parsed.ok) return parsed.reply;
		const patch = parsed.value;
		if ('log' in patch || 'statsFile' in patch) {
			return errorReply(400, 'log and statsFile cannot be set over HTTP');
		}
		try {
			core.setOptions(patch);
		} catch (error) {
			if (error instanceof OptionError) return errorReply(400, error.message);
			throw error;
		}
		return { status: 200, body: publicOptions(core.options) };
	}
	if (method === 'POST' && path === '/reset-stats') {
		core.resetStats();
		return { status: 200, body: core.snapshot().stats };
	}
	if (method === 'POST' && path === '/fail-next') {
		const parsed = await jsonObject(req);
		if (!parsed.ok) return parsed.reply;
		const body = parsed.value;
		const count = body.count ?? 1;
		if (!isRouteName(body.route)) return errorReply(400, `Unknown route ${String(body.route)}`);
		if (!isFaultKind(body.kind)) return errorReply(400, `Unknown fault kind ${String(body.kind)}`);
		if (!Number.isInteger(count) || (count as number) < 1) {
			return errorReply(400, 'count must be a positive integer');
		}
		core.faults.failNext(body.route, body.kind, count as number);
		return { status: 200, body: { route: body.route, kind: body.kind, count } };
	}
	const finish = /^\/finish\/([^/]+)$/.exec(path);
	if (method === 'POST' && finish) {
		const id = decodeURIComponent(finish[1]);
		const status = url.searchParams.get('status') ?? 'Completed';
		if (!(FINISH_STATUSES as readonly string[]).includes(status)) {
			return errorReply(400, `status must be one of ${FINISH_STATUSES.join(', ')}`);
		}
		if (!core.tasks.has(id)) return errorReply(404, `Task '${id}' was not found`);
		try {
			core.tasks.finish(id, status as FinishStatus, url.searchParams.get('message') ?? undefined);
		} catch (error) {
			return errorReply(409, (error as Error).message);
		}
		return { status: 200, body: core.tasks.progress(id) };
	}
	return errorReply(404, `No sandbox control endpoint ${method} ${url.pathname}`);
}
