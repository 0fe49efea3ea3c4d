import { createHmac } from 'node:crypto';

import { startSandbox, type Sandbox } from '../../sandbox';
import { call, login, sleep } from './helpers/client';

// Login, refresh, the two ways a JWT travels, and every way it is refused.

describe('sandbox authentication', () => {
	let sb: Sandbox;

	beforeAll(async () => {
		sb = await startSandbox();
	});
	afterAll(() => sb.close());

	const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
		fetch(`${sb.url}${path}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', ...headers },
			body: typeof body === 'string' ? body : JSON.stringify(body),
		});

	test('login with and without the trailing slash', async () => {
		for (const path of ['/account/login', '/account/login/']) {
			const res = await post(path, { username: 'alice', password: 'alice-password' });
			expect(res.status).toBe(200);
			expect(((await res.json()) as { username: string }).username).toBe('alice');
		}
	});

	test('wrong user or password: 401 JSON error; bad bodies: 400', async () => {
		for (const body of [
			{ username: 'demo', password: 'nope' },
			{ username: 'nobody', password: 'demo-password' },
		]) {
			const res = await post('/account/login', body);
			expect(res.status).toBe(401);
			expect(await res.json()).toMatchObject({ errorType: 'Unauthorized', statusCode: 401 });
		}
		const cases: Array<[unknown, RegExp]> = [
			['not json', /not valid JSON/],
			['', /empty/],
			[[1, 2], /JSON object/],
			[{ password: 'x' }, /'username' is required/],
			[{ username: 'demo' }, /'password' is required/],
		];
		for (const [body, message] of cases) {
			const res = await post('/account/login', body);
			expect(res.status).toBe(400);
			const json = (await res.json()) as { message: string; errorType: string; statusCode: number };
			expect(json.message).toMatch(message);
			expect(json).toMatchObject({ errorType: 'BadRequest', statusCode: 400 });
		}
	});

	test('Bearer header and jwt cookie are both accepted', async () => {
		const s = await login(sb);
		const viaHeader = await fetch(`${sb.url}/account/extended`, {
			headers: { authorization: `Bearer ${s.token}` },
		});
		expect(viaHeader.status).toBe(200);
		const viaCookie = await fetch(`${sb.url}/account/extended`, {
			headers: { cookie: `other=1; jwt=${s.token}` },
		});
		expect(viaCookie.status).toBe(200);
		// Both, as the nodes send them.
		const both = await fetch(`${sb.url}/layers`, {
			headers: { authorization: `Bearer ${s.token}`, cookie: `jwt=${s.token}` },
		});
		expect(both.status).toBe(200);
	});

	test('missing, malformed, forged and foreign tokens: 401', async () => {
		const s = await login(sb);
		const [head, body] = s.token.split('.');
		const forgedBody = Buffer.from(
			JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), sub: 'alice' }),
		).toString('base64url');
		const otherSecret = createHmac('sha256', 'not the secret')
			.update(`${head}.${body}`)
			.digest('base64url');
		const cases: Array<[Record<string, string>, RegExp]> = [
			[{}, /no JWT/],
			[{ authorization: 'Bearer not-a-jwt' }, /malformed/],
			[{ authorization: `Bearer ${head}.${forgedBody}.${s.token.split('.')[2]}` }, /signature/],
			[{ authorization: `Bearer ${head}.${body}.${otherSecret}` }, /signature/],
			[{ authorization: `Basic ZGVtbzpkZW1v` }, /no JWT/],
			[{ cookie: 'jwt=' }, /no JWT/],
		];
		for (const [headers, message] of cases) {
			const res = await fetch(`${sb.url}/layers`, { headers });
			expect(res.status).toBe(401);
			expect(((await res.json()) as { message: string }).message).toMatch(message);
		}
		// A token of another sandbox (another secret) is refused too.
		const other = await startSandbox();
		try {
			const foreign = await login(other);
			const res = await fetch(`${sb.url}/layers`, {
				headers: { authorization: `Bearer ${foreign.token}` },
			});
			expect(res.status).toBe(401);
		} finally {
			await other.close();
		}
	});

	test('an expired JWT gets 401 (ms-precise lifetime); a fresh login works again', async () => {
		sb.setOptions({ tokenLifetimeMs: 600 });
		try {
			const s = await login(sb);
			expect((await call(sb, s, 'GET', '/layers')).status).toBe(200);
			await sleep(650);
			const expired = await call(sb, s, 'GET', '/layers');
			expect(expired.status).toBe(401);
			expect(expired.body.message).toMatch(/expired/);
			const again = await login(sb);
			expect((await call(sb, again, 'GET', '/layers')).status).toBe(200);
		} finally {
			sb.setOptions({ tokenLifetimeMs: 600_000 });
		}
	});

	test('refresh-token: same shape, same session, old refresh token spent, expiry 401', async () => {
		sb.setOptions({ filesTiedToSession: true });
		try {
			const s = await login(sb);
			const form = new FormData();
			form.append('file', new Blob(['hello']), 'kept.txt');
			const up = await fetch(`${sb.url}/upload/file`, {
				method: 'POST',
				headers: { authorization: `Bearer ${s.token}` },
				body: form,
			});
			expect(up.status).toBe(200);

			const res = await post('/account/refresh-token', { refreshToken: s.refreshToken });
			expect(res.status).toBe(200);
			const fresh = (await res.json()) as Record<string, string>;
			expect(Object.keys(fresh).sort()).toEqual([
				'redirectUrl',
				'refreshToken',
				'token',
				'username',
			]);
			expect(fresh.token).not.toBe(s.token);
			expect(fresh.refreshToken).not.toBe(s.refreshToken);
			expect(res.headers.getSetCookie()[0]).toBe(`jwt=${fresh.token}; Path=/; HttpOnly`);
			const sid = (t: string) =>
				(JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()) as { sid: string }).sid;
			expect(sid(fresh.token)).toBe(sid(s.token));
			// The session's file is still there after the refresh.
			expect(sb.uploads().find((u) => u.fileId === 'kept.txt')?.session).toBe(sid(s.token));

			const reused = await post('/account/refresh-token', { refreshToken: s.refreshToken });
			expect(reused.status).toBe(401);
			expect((await post('/account/refresh-token', { refreshToken: 'nope' })).status).toBe(401);
			expect((await post('/account/refresh-token', {})).status).toBe(400);

			sb.setOptions({ refreshTokenLifetimeMs: 100 });
			const short = await login(sb);
			await sleep(150);
			expect(
				(await post('/account/refresh-token', { refreshToken: short.refreshToken })).status,
			).toBe(401);
		} finally {
			sb.setOptions({ filesTiedToSession: false, refreshTokenLifetimeMs: 86_400_000 });
		}
	});

	test('issuedSecrets lists every JWT, refresh token and password', async () => {
		const s = await login(sb, 'alice');
		const secrets = sb.issuedSecrets();
		expect(secrets).toEqual(
			expect.arrayContaining([s.token, s.refreshToken, 'demo-password', 'alice-password']),
		);
	});

	test("paths: outside the prefix an nginx 404 page, inside it ASP.NET's empty 404/405", async () => {
		const outside = await fetch(`${sb.origin}/account/login`, { method: 'POST' });
		expect(outside.status).toBe(404);
		expect(outside.headers.get('content-type')).toMatch(/text\/html/);
		expect(await outside.text()).toMatch(/<center>nginx<\/center>/);

		const s = await login(sb);
		const unknown = await call(sb, s, 'GET', '/no/such/endpoint');
		expect(unknown.status).toBe(404);
		expect(unknown.text).toBe('');
		const wrongMethod = await call(sb, s, 'GET', '/upload/file');
		expect(wrongMethod.status).toBe(405);
		expect(wrongMethod.headers.get('allow')).toBe('POST');
		expect(wrongMethod.text).toBe('');
		// A doubled slash is merged, as nginx does.
		const doubled = await fetch(`${sb.url}//account/extended`, {
			headers: { authorization: `Bearer ${s.token}` },
		});
		expect(doubled.status).toBe(200);
	});
});
