/**
 * When a JWT expires, from its `exp` claim (seconds since the epoch), in milliseconds.
 * The token is not verified: this only tells whether to renew it before a request.
 * Undefined when the token is not a JWT or has no `exp`.
 */
export function jwtExpiresAt(token: unknown): number | undefined {
	if (typeof token !== 'string') return undefined;
	const parts = token.split('.');
	if (parts.length !== 3) return undefined;
	try {
		const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as {
			exp?: unknown;
		};
		const exp = Number(payload.exp);
		return Number.isFinite(exp) && exp > 0 ? exp * 1000 : undefined;
	} catch {
		return undefined;
	}
}
