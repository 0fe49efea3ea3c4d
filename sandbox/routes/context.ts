import type { IncomingMessage, ServerResponse } from 'node:http';

import type { AuthUser } from '../auth';
import type { SandboxCore } from '../core';
import {
	BodyTooLarge,
	errorReply,
	nginxReply,
	parseJson,
	readBody,
	type Reply,
} from '../http-util';
import type { Dialect, RouteName } from '../types';

export interface RouteContext {
	req: IncomingMessage;
	res: ServerResponse;
	url: URL;
	/** Decoded path parameters, in pattern order. */
	params: string[];
	core: SandboxCore;
	/** Set for routes that need authentication. */
	user: AuthUser;
}

export interface RouteDef {
	name: RouteName;
	method: 'GET' | 'POST' | 'PUT' | 'DELETE';
	pattern: RegExp;
	auth: boolean;
	handler: (ctx: RouteContext) => Promise<Reply>;
	/** Which dialects serve it (types.ts Dialect); every one when left out. */
	dialects?: readonly Dialect[];
}

/** The documented generation's readings (both pages of the docs). */
export const DOCUMENTED: readonly Dialect[] = ['tiling-page', 'reference-page'];

/** A JSON body larger than this gets 413 even without maxUploadBytes. */
const JSON_BODY_LIMIT = 16 * 1024 * 1024;

/** Reads and parses a JSON request body; an error Reply when it cannot. */
export async function jsonBody(
	ctx: RouteContext,
): Promise<{ ok: true; value: unknown } | { ok: false; reply: Reply }> {
	const max = ctx.core.options.maxUploadBytes;
	const limit = max === undefined ? JSON_BODY_LIMIT : Math.min(max, JSON_BODY_LIMIT);
	let buf: Buffer;
	try {
		buf = await readBody(ctx.req, limit);
	} catch (error) {
		if (error instanceof BodyTooLarge) {
			return {
				ok: false,
				reply:
					max !== undefined && limit === max
						? nginxReply(413, { connection: 'close' })
						: errorReply(413, `The JSON body is larger than ${limit} bytes`),
			};
		}
		throw error;
	}
	const parsed = parseJson(buf);
	if (!parsed.ok) return { ok: false, reply: errorReply(400, parsed.message) };
	return parsed;
}
