import type {
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
} from 'n8n-workflow';
import { UserError } from 'n8n-workflow';

import { factsOf } from '../../../nodes/EverGis/transport/failure';
import { loginFailureOf } from '../../../nodes/EverGis/transport/loginErrors';

const isConfigurationError = (error: unknown) => loginFailureOf(error)?.kind === 'configuration';
import { logIn, tokenFromLoginAnswer } from '../../../nodes/EverGis/transport/login';
import { isRetryable, wasRefused } from '../../../nodes/EverGis/transport/retry';
import { thrownBy } from '../helpers/throws';
import { axiosError, PASSWORD, TOKEN } from '../helpers/httpErrors';

const HOST = 'https://x/sp';

function answer(
	statusCode: number,
	body: unknown,
	headers: IDataObject = { 'content-type': 'application/json; charset=utf-8' },
): IN8nHttpFullResponse {
	return { statusCode, body: body as IN8nHttpFullResponse['body'], headers };
}

/** The configuration error that reading `response` throws; checked to say what to do. */
function loginErrorFrom(response: IN8nHttpFullResponse, username = 'alice'): UserError {
	const error = thrownBy(() => tokenFromLoginAnswer(response, HOST, username));
	expect(error).toBeInstanceOf(UserError);
	expect(isConfigurationError(error)).toBe(true);
	const userError = error as UserError;
	expect((userError.description ?? '').trim()).not.toBe('');
	return userError;
}

function expectNoSecret(error: unknown) {
	const e = error as UserError;
	const text = [e.message, e.description ?? '', JSON.stringify(e), String(e.stack)].join('\n');
	expect(text).not.toContain(PASSWORD);
	expect(text).not.toContain(TOKEN);
}

// The login answer of the docs/spec (LoginResultDc) and its cookies.
const LOGIN_RESULT = {
	token: TOKEN,
	refreshToken: 'refresh-1',
	username: 'alice',
	redirectUrl: null,
};

describe('tokenFromLoginAnswer', () => {
	test('the token of the JSON body', () => {
		expect(tokenFromLoginAnswer(answer(200, LOGIN_RESULT), HOST, 'alice')).toBe(TOKEN);
	});

	test('the body wins over the cookie', () => {
		const response = answer(200, LOGIN_RESULT, { 'set-cookie': ['jwt=from-cookie; Path=/'] });
		expect(tokenFromLoginAnswer(response, HOST, 'alice')).toBe(TOKEN);
	});

	test('the token only in a jwt Set-Cookie (array of cookies)', () => {
		const response = answer(
			200,
			{ username: 'alice' },
			{
				'set-cookie': [
					'refreshToken=refresh-1; Path=/; HttpOnly',
					`jwt=${TOKEN}; Path=/; HttpOnly; SameSite=Lax`,
				],
			},
		);
		expect(tokenFromLoginAnswer(response, HOST, 'alice')).toBe(TOKEN);
	});

	test('the token only in a single Set-Cookie string; an empty body', () => {
		const response = answer(200, '', { 'set-cookie': `jwt=${TOKEN}; Path=/` });
		expect(tokenFromLoginAnswer(response, HOST, 'alice')).toBe(TOKEN);
	});

	test('an empty token in the body falls back to the cookie', () => {
		const response = answer(200, { token: '' }, { 'set-cookie': [`jwt=${TOKEN}`] });
		expect(tokenFromLoginAnswer(response, HOST, 'alice')).toBe(TOKEN);
	});

	test('a percent-encoded cookie value is decoded', () => {
		const response = answer(200, {}, { 'set-cookie': ['jwt=a%2Bb%3D; Path=/'] });
		expect(tokenFromLoginAnswer(response, HOST, 'alice')).toBe('a+b=');
	});

	test('another cookie ending in "jwt" is not the jwt cookie', () => {
		const error = loginErrorFrom(answer(200, {}, { 'set-cookie': ['notjwt=abc; Path=/'] }));
		expect(error.message).toBe(
			"EverGIS accepted the login for 'alice' at https://x/sp but sent no token",
		);
	});

	test('401: exactly "EverGIS rejected the login for \'alice\' at https://x/sp (HTTP 401)"', () => {
		const error = loginErrorFrom(answer(401, { message: 'Invalid username or password' }));
		expect(error.message).toBe("EverGIS rejected the login for 'alice' at https://x/sp (HTTP 401)");
		expect(error.description).toBe('Check Username and Password in the EverGIS API credentials.');
	});

	test('403 the same way', () => {
		expect(loginErrorFrom(answer(403, '')).message).toBe(
			"EverGIS rejected the login for 'alice' at https://x/sp (HTTP 403)",
		);
	});

	test('an HTML answer with 200 or 404 (the web client, a web server without the API): the Host is wrong', () => {
		for (const response of [
			answer(200, '<!DOCTYPE html><html><body>EverGIS</body></html>', {
				'content-type': 'text/html',
			}),
			answer(404, '<html><head><title>404 Not Found</title></head></html>', {}),
		]) {
			const error = loginErrorFrom(response);
			expect(error.message).toBe(
				`EverGIS login for 'alice' at https://x/sp answered with an HTML page (HTTP ${response.statusCode}), not the EverGIS API`,
			);
			expect(error.description).toContain('https://evergis.ru/sp');
		}
	});

	test("a proxy's HTML error page with 502: the status decides, a passing failure (not a wrong Host)", () => {
		const error = passingLoginFailure(
			answer(502, '<html><head><title>502 Bad Gateway</title></head></html>', {
				'content-type': 'text/html',
			}),
		);
		expect(error.message).toBe(
			"EverGIS could not serve the login for 'alice' at https://x/sp now (HTTP 502, an HTML page: a proxy or gateway answered)",
		);
		expect(factsOf(error)).toMatchObject({ status: 502, login: { kind: 'passing' } });
		expect(isRetryable('create', factsOf(error))).toBe(true);
	});

	test.each([404, 405])('%p: no EverGIS API there, check the /sp prefix', (status) => {
		const error = loginErrorFrom(answer(status, ''));
		expect(error.message).toBe(
			`No EverGIS API answers at https://x/sp/account/login (HTTP ${status})`,
		);
		expect(error.description).toMatch(/prefix/);
	});

	/**
	 * A login the server could not serve now is not a mistake in the credentials: it carries the
	 * status (and Retry-After) like a failed request, so that the retry policy tries it again.
	 */
	function passingLoginFailure(response: IN8nHttpFullResponse): Error {
		const error = thrownBy(() => tokenFromLoginAnswer(response, HOST, 'alice', PASSWORD));
		expect(isConfigurationError(error)).toBe(false);
		return error as Error;
	}

	test('500 with the server message: a passing failure, with its status', () => {
		const error = passingLoginFailure(answer(500, { message: 'Database is not available' }));
		expect(error.message).toBe(
			"EverGIS could not serve the login for 'alice' at https://x/sp now (HTTP 500: Database is not available)",
		);
		expect(factsOf(error)).toMatchObject({ status: 500 });
		expect(factsOf(error).configuration).toBeUndefined();
	});

	test('500 without a message', () => {
		expect(passingLoginFailure(answer(500, '')).message).toBe(
			"EverGIS could not serve the login for 'alice' at https://x/sp now (HTTP 500)",
		);
	});

	test.each([429, 419, 503])('%p: refused, with the Retry-After the server gave', (status) => {
		const error = passingLoginFailure(answer(status, {}, { 'retry-after': '3' }));
		expect(factsOf(error)).toMatchObject({ status, retryAfterMs: 3000 });
		expect(wasRefused(factsOf(error))).toBe(true);
		expect((error as { httpCode?: string }).httpCode).toBe(String(status));
	});

	test('a passing failure carries neither the answer body nor its headers (they may echo the password)', () => {
		const error = passingLoginFailure(
			answer(502, { message: `bad ${PASSWORD}`, echo: PASSWORD }, { 'x-echo': PASSWORD }),
		);
		expectNoSecret(error);
		expect(JSON.stringify(error)).not.toContain('x-echo');
	});

	test('400 with a message: check the credentials', () => {
		const error = loginErrorFrom(answer(400, { title: 'Username is required' }));
		expect(error.message).toBe(
			"EverGIS could not log in for 'alice' at https://x/sp (HTTP 400: Username is required)",
		);
		expect(error.description).toMatch(/Check Host, Username and Password/);
	});

	test('a redirect (not followed) is a failure, not a success', () => {
		const error = loginErrorFrom(answer(302, '', { location: 'https://x/login' }));
		expect(error.message).toBe("EverGIS could not log in for 'alice' at https://x/sp (HTTP 302)");
	});

	test.each([
		['an empty object', {}],
		['null', null],
		['a token that is not text', { token: 12345 }],
		['a plain text body', 'OK'],
	])('200 with no token (%s): "accepted but sent no token"', (_label, body) => {
		const error = loginErrorFrom(answer(200, body, {}));
		expect(error.message).toBe(
			"EverGIS accepted the login for 'alice' at https://x/sp but sent no token",
		);
		expect(error.description).toMatch(/'token'/);
	});

	test('no message contains the token of a half-good answer', () => {
		expectNoSecret(passingLoginFailure(answer(500, { message: 'failed', token: TOKEN })));
		expectNoSecret(loginErrorFrom(answer(400, { message: 'failed', token: TOKEN })));
	});
});

describe('logIn (with a fake httpRequest)', () => {
	function helpersAnswering(result: IN8nHttpFullResponse | Error): {
		helpers: IHttpRequestHelper['helpers'];
		calls: IHttpRequestOptions[];
	} {
		const calls: IHttpRequestOptions[] = [];
		const httpRequest = jest.fn(async (options: IHttpRequestOptions) => {
			calls.push(options);
			if (result instanceof Error) throw result;
			return result;
		});
		return { helpers: { httpRequest } as unknown as IHttpRequestHelper['helpers'], calls };
	}
	const credentials = { host: ' https://x/sp/ ', username: ' alice ', password: PASSWORD };

	test('posts the documented login and returns the token', async () => {
		const { helpers, calls } = helpersAnswering(answer(200, LOGIN_RESULT));
		await expect(logIn(helpers, credentials)).resolves.toBe(TOKEN);
		expect(calls).toHaveLength(1);
		expect(calls[0]).toMatchObject({
			method: 'POST',
			url: 'https://x/sp/account/login',
			body: { username: 'alice', password: PASSWORD },
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			skipSslCertificateValidation: false,
		});
	});

	test('Ignore SSL Issues reaches the request', async () => {
		const { helpers, calls } = helpersAnswering(answer(200, LOGIN_RESULT));
		await logIn(helpers, { ...credentials, ignoreSslIssues: true });
		expect(calls[0].skipSslCertificateValidation).toBe(true);
	});

	test('401: the message names user and host, never the password', async () => {
		const { helpers } = helpersAnswering(answer(401, { message: 'Invalid credentials' }));
		const error = await logIn(helpers, credentials).catch((e: unknown) => e);
		expect((error as Error).message).toBe(
			"EverGIS rejected the login for 'alice' at https://x/sp (HTTP 401)",
		);
		expectNoSecret(error);
	});

	test.each([
		[
			'refused',
			axiosError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }),
			'nothing accepts connections there (connection refused)',
		],
		[
			'timeout',
			axiosError({ code: 'ECONNABORTED', message: 'timeout of 30000ms exceeded' }),
			'no answer within 30 s',
		],
		[
			// Regression: ENOTFOUND was a configuration error, so a DNS that did not answer yet while
			// n8n 2.x activated a trigger turned the trigger off for good (n8n gives up on an
			// activation that fails 5 times). A typo and a DNS blip look the same to the resolver.
			'DNS: a typo in Host, or no DNS answer yet',
			axiosError({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND x' }),
			'the host name could not be resolved (DNS); check Host for a typo',
		],
	])(
		'no answer (%s): a passing failure, without the failed request',
		async (_label, failure, words) => {
			// The thrown error carries the request config, whose body holds the password.
			expect(JSON.stringify(failure.config)).toContain(PASSWORD);
			const { helpers } = helpersAnswering(failure);
			const error = await logIn(helpers, credentials).catch((e: unknown) => e);
			expect(loginFailureOf(error)?.kind).toBe('passing');
			expect((error as Error).message).toBe(
				`Could not reach EverGIS at https://x/sp to log in: ${words}`,
			);
			expect((error as UserError).cause).toBeUndefined();
			expectNoSecret(error);
		},
	);

	test.each([
		[
			'a certificate of a company CA',
			axiosError({
				code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
				message: 'unable to get local issuer certificate',
			}),
			'its TLS certificate is issued by a certificate authority that n8n does not trust (UNABLE_TO_GET_ISSUER_CERT_LOCALLY): give n8n the CA with NODE_EXTRA_CA_CERTS',
		],
	])(
		'no answer (%s): a configuration error, without the failed request',
		async (_label, failure, words) => {
			const { helpers } = helpersAnswering(failure);
			const error = await logIn(helpers, credentials).catch((e: unknown) => e);
			expect(isConfigurationError(error)).toBe(true);
			expect((error as Error).message).toBe(
				`Could not log in to EverGIS at https://x/sp: ${words}`,
			);
			expectNoSecret(error);
		},
	);

	test.each([[{ ...credentials, username: '  ' }], [{ ...credentials, password: '' }]])(
		'no username or password: refused before any request',
		async (bad) => {
			const { helpers, calls } = helpersAnswering(answer(200, LOGIN_RESULT));
			const error = await logIn(helpers, bad).catch((e: unknown) => e);
			expect(isConfigurationError(error)).toBe(true);
			expect((error as Error).message).toBe('The EverGIS credentials have no username or password');
			expect(calls).toHaveLength(0);
		},
	);

	test('a bad Host: refused before any request', async () => {
		const { helpers, calls } = helpersAnswering(answer(200, LOGIN_RESULT));
		const error = await logIn(helpers, { ...credentials, host: 'x/sp' }).catch((e: unknown) => e);
		expect(isConfigurationError(error)).toBe(true);
		expect(calls).toHaveLength(0);
	});

	test('a server that echoes the login body: the password is still not in the message', async () => {
		const echo = { message: `Invalid request: {"username":"alice","password":"${PASSWORD}"}` };
		const { helpers } = helpersAnswering(answer(400, echo));
		const error = await logIn(helpers, credentials).catch((e: unknown) => e);
		expect(isConfigurationError(error)).toBe(true);
		expectNoSecret(error);
	});
});
