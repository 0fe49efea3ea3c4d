import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a route handler answers; the dispatcher writes it (or replaces it with a fault). */
export interface Reply {
	status: number;
	/** The reason phrase of the status line (default: Node's). */
	reason?: string;
	headers?: Record<string, string | string[]>;
	/** A JSON value, or a string sent as is (then set content-type in headers). */
	body?: unknown;
}

const STATUS_TEXT: Record<number, string> = {
	400: 'Bad Request',
	401: 'Unauthorized',
	403: 'Forbidden',
	404: 'Not Found',
	405: 'Not Allowed',
	409: 'Conflict',
	413: 'Request Entity Too Large',
	419: 'Too Many Active Requests',
	429: 'Too Many Requests',
	500: 'Internal Server Error',
	502: 'Bad Gateway',
	503: 'Service Temporarily Unavailable',
	504: 'Gateway Time-out',
};

/** ErrorDetailsDc.errorType for a status (the spec's enum, plus Unauthorized/Forbidden). */
function errorType(status: number): string {
	switch (status) {
		case 400:
		case 405:
			return 'BadRequest';
		case 401:
			return 'Unauthorized';
		case 403:
			return 'Forbidden';
		case 404:
			return 'ResourceNotFound';
		case 409:
			return 'DuplicateContent';
		case 413:
		case 419:
		case 429:
			return 'ResourceLimitExceeded';
		default:
			return 'InternalError';
	}
}

/** A JSON error in the spec's ErrorDetailsDc shape: {message, errorType, statusCode}. */
export function errorReply(status: number, message: string, headers?: Reply['headers']): Reply {
	return { status, headers, body: { message, errorType: errorType(status), statusCode: status } };
}

/** The error page nginx shows for a status (what a proxy in front of EverGIS answers). */
export function nginxReply(status: number, headers?: Reply['headers']): Reply {
	const title = `${status} ${STATUS_TEXT[status] ?? 'Error'}`;
	const html =
		`<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n` +
		`<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
	return {
		status,
		reason: STATUS_TEXT[status],
		headers: { 'content-type': 'text/html', server: 'nginx', ...headers },
		body: html,
	};
}

export function writeReply(res: ServerResponse, reply: Reply): void {
	if (res.headersSent || res.destroyed) return;
	const headers: Record<string, string | string[]> = { ...reply.headers };
	let payload: string | undefined;
	if (typeof reply.body === 'string') {
		payload = reply.body;
	} else if (reply.body !== undefined) {
		payload = JSON.stringify(reply.body);
		headers['content-type'] ??= 'application/json; charset=utf-8';
	}
	if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
	if (reply.reason) res.writeHead(reply.status, reply.reason, headers);
	else res.writeHead(reply.status, headers);
	res.end(payload);
}

export class BodyTooLarge extends Error {}

/** Reads a (small) request body whole; JSON bodies only, never uploads. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		const onData = (chunk: Buffer): void => {
			size += chunk.length;
			if (size > limit) {
				req.off('data', onData);
				req.resume();
				reject(new BodyTooLarge(`body larger than ${limit} bytes`));
				return;
			}
			chunks.push(chunk);
		};
		req.on('data', onData);
		req.once('end', () => resolve(Buffer.concat(chunks)));
		req.once('error', reject);
		// A client gone mid-body: the route must end (and its request stop counting as active).
		req.once('close', () => {
			if (!req.complete) reject(new Error('the request body was interrupted'));
		});
	});
}

export type JsonBody = { ok: true; value: unknown } | { ok: false; message: string };

export function parseJson(buf: Buffer): JsonBody {
	const text = buf.toString('utf8').replace(/^\uFEFF/, '');
	if (text.trim() === '') return { ok: false, message: 'The request body is empty: JSON expected' };
	try {
		return { ok: true, value: JSON.parse(text) };
	} catch (error) {
		return {
			ok: false,
			message: `The request body is not valid JSON: ${(error as Error).message}`,
		};
	}
}

export function parseCookies(header: string | undefined): Record<string, string> {
	const out: Record<string, string> = {};
	if (!header) return out;
	for (const part of header.split(';')) {
		const eq = part.indexOf('=');
		if (eq < 0) continue;
		const name = part.slice(0, eq).trim();
		let value = part.slice(eq + 1).trim();
		if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
		if (name && !(name in out)) {
			try {
				out[name] = decodeURIComponent(value);
			} catch {
				out[name] = value;
			}
		}
	}
	return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
