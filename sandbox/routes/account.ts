import { AuthService, type LoginAnswer } from '../auth';
import { errorReply, isPlainObject, type Reply } from '../http-util';
import { jsonBody, type RouteContext, type RouteDef } from './context';

// POST /account/login, POST /account/refresh-token, GET /account/extended, GET /account/{name}.

function loginReply(answer: LoginAnswer): Reply {
	return { status: 200, headers: { 'set-cookie': AuthService.cookies(answer) }, body: answer };
}

async function login(ctx: RouteContext): Promise<Reply> {
	const body = await jsonBody(ctx);
	if (!body.ok) return body.reply;
	const v = body.value;
	if (!isPlainObject(v)) return errorReply(400, 'The login body must be a JSON object');
	for (const field of ['username', 'password'] as const) {
		if (typeof v[field] !== 'string' || v[field] === '') {
			return errorReply(400, `'${field}' is required (a non-empty string)`);
		}
	}
	const answer = ctx.core.auth.login(v.username as string, v.password as string);
	if (!answer) return errorReply(401, 'Wrong username or password');
	ctx.core.stats.logins++;
	return loginReply(answer);
}

async function refreshToken(ctx: RouteContext): Promise<Reply> {
	const body = await jsonBody(ctx);
	if (!body.ok) return body.reply;
	const v = body.value;
	if (!isPlainObject(v) || typeof v.refreshToken !== 'string' || v.refreshToken === '') {
		return errorReply(400, "'refreshToken' is required (a non-empty string)");
	}
	const answer = ctx.core.auth.refresh(v.refreshToken);
	if (!answer) return errorReply(401, 'The refresh token is unknown, used or expired');
	ctx.core.stats.logins++;
	return loginReply(answer);
}

function userInfo(username: string): Record<string, unknown> {
	const first = username.charAt(0).toUpperCase() + username.slice(1);
	return {
		username,
		email: `${username}@sandbox.invalid`,
		firstName: first,
		lastName: 'Sandbox',
		// The spec's UserInfoDc spells them in snake case: send both.
		first_name: first,
		last_name: 'Sandbox',
		roles: ['user', `__${username}`],
	};
}

async function extended(ctx: RouteContext): Promise<Reply> {
	return { status: 200, body: userInfo(ctx.user.username) };
}

async function byName(ctx: RouteContext): Promise<Reply> {
	const name = ctx.params[0];
	if (name !== ctx.user.username) {
		return errorReply(403, `No permission to read the account of '${name}'`);
	}
	return { status: 200, body: userInfo(name) };
}

export const accountRoutes: RouteDef[] = [
	{ name: 'login', method: 'POST', pattern: /^\/account\/login$/, auth: false, handler: login },
	{
		name: 'refreshToken',
		method: 'POST',
		pattern: /^\/account\/refresh-token$/,
		auth: false,
		handler: refreshToken,
	},
	{
		name: 'userInfo',
		method: 'GET',
		pattern: /^\/account\/extended$/,
		auth: true,
		handler: extended,
	},
	{ name: 'userInfo', method: 'GET', pattern: /^\/account\/([^/]+)$/, auth: true, handler: byName },
];
