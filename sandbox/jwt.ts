import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// HS256 JSON Web Tokens, signed with a secret made anew by every sandbox.

export interface JwtPayload {
	/** Username. */
	sub: string;
	/** Login session id. */
	sid: string;
	/** Issued at, seconds (fractional: ms precision). */
	iat: number;
	/** Expires at, seconds (fractional: ms precision, so a 2 s lifetime works). */
	exp: number;
	/** Unique token id, so that two tokens issued in the same millisecond still differ. */
	jti: string;
}

export type VerifyResult =
	{ ok: true; payload: JwtPayload } | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

function b64url(data: Buffer | string): string {
	return Buffer.from(data).toString('base64url');
}

export function newSecret(): Buffer {
	return randomBytes(32);
}

export function signJwt(payload: JwtPayload, secret: Buffer): string {
	const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
	const body = b64url(JSON.stringify(payload));
	const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
	return `${head}.${body}.${sig}`;
}

export function verifyJwt(token: string, secret: Buffer, nowMs: number): VerifyResult {
	const parts = token.split('.');
	if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
		return { ok: false, reason: 'malformed' };
	}
	const [head, body, sig] = parts;
	let header: unknown;
	let payload: unknown;
	try {
		header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
		payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
	} catch {
		return { ok: false, reason: 'malformed' };
	}
	if (
		typeof header !== 'object' ||
		header === null ||
		(header as { alg?: unknown }).alg !== 'HS256'
	) {
		return { ok: false, reason: 'malformed' };
	}
	const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest();
	const given = Buffer.from(sig, 'base64url');
	if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
		return { ok: false, reason: 'signature' };
	}
	const p = payload as Partial<JwtPayload>;
	if (
		typeof p !== 'object' ||
		p === null ||
		typeof p.sub !== 'string' ||
		typeof p.sid !== 'string' ||
		typeof p.exp !== 'number'
	) {
		return { ok: false, reason: 'malformed' };
	}
	if (nowMs >= p.exp * 1000) return { ok: false, reason: 'expired' };
	return { ok: true, payload: p as JwtPayload };
}
