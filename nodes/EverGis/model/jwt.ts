/** A numeric claim of a JWT's payload (`exp`, `iat`: seconds since the epoch), unverified. */
function jwtClaim(token: unknown, claim: string): number | undefined {
	if (typeof token !== 'string') return undefined;
	const parts = token.split('.');
	if (parts.length !== 3) return undefined;
	try {
		const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<
			string,
			unknown
		>;
		const value = Number(payload[claim]);
		return Number.isFinite(value) && value > 0 ? value : undefined;
	} catch {
		return undefined;
	}
}

/**
 * When a JWT expires, from its `exp` claim (seconds since the epoch), in milliseconds.
 * The token is not verified: this only tells whether to renew it before a request.
 * Undefined when the token is not a JWT or has no `exp`.
 */
export function jwtExpiresAt(token: unknown): number | undefined {
	const exp = jwtClaim(token, 'exp');
	return exp === undefined ? undefined : exp * 1000;
}

/**
 * How long before its `exp` a token is renewed: 2 s, or a tenth of its lifetime when that is
 * shorter (a token that lives 1 s is renewed 100 ms before it ends, not before it starts).
 */
export function renewalMarginMs(token: unknown): number {
	const expiresAt = jwtExpiresAt(token);
	const issuedAt = jwtClaim(token, 'iat');
	if (expiresAt === undefined || issuedAt === undefined || expiresAt <= issuedAt * 1000)
		return 2_000;
	return Math.min(2_000, (expiresAt - issuedAt * 1000) / 10);
}
