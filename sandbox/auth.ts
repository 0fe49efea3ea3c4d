import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { parseCookies } from './http-util';
import { newSecret, signJwt, verifyJwt } from './jwt';
import type { ResolvedOptions } from './types';

// Login sessions, JWTs and refresh tokens.

export interface LoginAnswer {
	token: string;
	refreshToken: string;
	username: string;
	redirectUrl: null;
}

export interface AuthUser {
	username: string;
	/** Login session id; a refresh keeps it, a new login makes a new one. */
	sid: string;
}

interface RefreshEntry {
	username: string;
	sid: string;
	expiresAtMs: number;
}

export type AuthResult = { ok: true; user: AuthUser } | { ok: false; message: string };

export class AuthService {
	private readonly secret = newSecret();
	private readonly sessions = new Map<string, string>();
	private readonly refreshTokens = new Map<string, RefreshEntry>();
	private readonly secrets = new Set<string>();

	constructor(private readonly options: () => ResolvedOptions) {}

	private userExists(username: string): boolean {
		return this.options().users.some((u) => u.username === username);
	}

	/** Every JWT and refresh token issued, plus every configured password. */
	issuedSecrets(): string[] {
		return [...this.secrets, ...this.options().users.map((u) => u.password)];
	}

	private issue(username: string, sid: string): LoginAnswer {
		const o = this.options();
		const now = Date.now();
		const token = signJwt(
			{
				sub: username,
				sid,
				iat: now / 1000,
				exp: (now + o.tokenLifetimeMs) / 1000,
				jti: randomUUID(),
			},
			this.secret,
		);
		const refreshToken = randomBytes(32).toString('base64url');
		this.refreshTokens.set(refreshToken, {
			username,
			sid,
			expiresAtMs: now + o.refreshTokenLifetimeMs,
		});
		this.secrets.add(token);
		this.secrets.add(refreshToken);
		return { token, refreshToken, username, redirectUrl: null };
	}

	login(username: string, password: string): LoginAnswer | undefined {
		const user = this.options().users.find((u) => u.username === username);
		if (!user || user.password !== password) return undefined;
		const sid = randomUUID();
		this.sessions.set(sid, username);
		return this.issue(username, sid);
	}

	/**
	 * Trades a refresh token for a new JWT and refresh token in the same session (guess: the
	 * session, and so the files tied to it, survive a refresh). The old refresh token is spent.
	 */
	refresh(refreshToken: string): LoginAnswer | undefined {
		const entry = this.refreshTokens.get(refreshToken);
		if (!entry) return undefined;
		this.refreshTokens.delete(refreshToken);
		if (Date.now() >= entry.expiresAtMs || !this.userExists(entry.username)) return undefined;
		return this.issue(entry.username, entry.sid);
	}

	/** Reads `Authorization: Bearer <jwt>`, else the `jwt` cookie. */
	authenticate(req: IncomingMessage): AuthResult {
		const header = req.headers.authorization;
		let token: string | undefined;
		const bearer = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
		if (bearer) token = bearer[1];
		else token = parseCookies(req.headers.cookie).jwt;
		if (!token) {
			return {
				ok: false,
				message: 'Authentication required: no JWT in the Authorization header or the jwt cookie',
			};
		}
		const result = verifyJwt(token, this.secret, Date.now());
		if (!result.ok) {
			const why = {
				malformed: 'The JWT is malformed',
				signature: 'The JWT signature is invalid',
				expired: 'The JWT has expired',
			}[result.reason];
			return { ok: false, message: why };
		}
		const { sub, sid } = result.payload;
		if (this.sessions.get(sid) !== sub || !this.userExists(sub)) {
			return { ok: false, message: 'The JWT belongs to no known session' };
		}
		return { ok: true, user: { username: sub, sid } };
	}

	static cookies(answer: LoginAnswer): string[] {
		return [
			`jwt=${answer.token}; Path=/; HttpOnly`,
			`refreshToken=${answer.refreshToken}; Path=/; HttpOnly`,
		];
	}
}
