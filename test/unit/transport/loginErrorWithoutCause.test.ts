/**
 * n8n 1.x to 2.33 wrap a failed login of the credentials' preAuthentication the way n8n-core
 * does in every release, `new NodeApiError(node, error)`, but their n8n-workflow (1.83.0 in n8n
 * 1.85.3, 1.120.31 in 1.123.81, 2.0.1 in 2.0.3, ... 2.33.2; 2.34.0 keeps it) drops the wrapped
 * error from `cause`: its
 * ExecutionBaseError declares `cause;` as a class field, which sets it to undefined again after
 * the Error constructor stored it, and puts it back only when it is not an Error. What such a
 * NodeApiError keeps of an Error (read from n8n-workflow 1.120.31's dist/cjs/errors): the message
 * (`message`, and in `messages`; a message that contains a Node error code such as EPERM is
 * replaced by n8n's text for it and kept only in `messages`), the description, httpCode null, no
 * tags of the wrapped error; of an axios error, the status as httpCode and a JSON body in
 * context.data. The package must still recognise its own login error there, and read the body.
 */
import type { IDataObject, IN8nHttpFullResponse } from 'n8n-workflow';
import { NodeApiError, UserError } from 'n8n-workflow';

import { factsOf } from '../../../nodes/EverGis/transport/failure';
import { loginFailureOf } from '../../../nodes/EverGis/transport/loginErrors';
import { tokenFromLoginAnswer } from '../../../nodes/EverGis/transport/login';
import { axiosError, NODE, wrapped } from '../helpers/httpErrors';
import { thrownBy } from '../helpers/throws';

const HOST = 'https://x/sp';

function answer(
	statusCode: number,
	body: unknown,
	headers: IDataObject = { 'content-type': 'application/json; charset=utf-8' },
): IN8nHttpFullResponse {
	return { statusCode, body: body as IN8nHttpFullResponse['body'], headers };
}

/**
 * `new NodeApiError(node, error)` as n8n-workflow 1.120.31 leaves it: this package's n8n-workflow
 * (2.x) builds it, then `cause` is made undefined as 1.120.31's class field does. The fields the
 * package reads are checked against what 1.120.31's constructor sets.
 */
function wrappedLike1x(error: Error): NodeApiError {
	const wrappedError = new NodeApiError(NODE, error as never);
	Object.defineProperty(wrappedError, 'cause', {
		value: undefined,
		writable: true,
		enumerable: true,
		configurable: true,
	});
	expect(wrappedError.cause).toBeUndefined();
	if (error instanceof UserError) {
		expect(wrappedError.description).toBe(error.description);
		expect(wrappedError.messages).toContain(error.message);
		// A passing login failure carries its status as httpCode (NodeApiError keeps that).
		expect(wrappedError.httpCode).toBe((error as { httpCode?: string }).httpCode ?? null);
		expect(wrappedError.tags).not.toHaveProperty('evergis');
	}
	return wrappedError;
}

function loginError(response: IN8nHttpFullResponse, username = 'alice'): UserError {
	return thrownBy(() => tokenFromLoginAnswer(response, HOST, username)) as UserError;
}

describe('a login error wrapped by NodeApiError without its cause (n8n 1.x to 2.33)', () => {
	test('a wrong password: the login message, not a connection failure', () => {
		const error = wrappedLike1x(loginError(answer(401, { message: 'Invalid credentials' })));
		expect(error.message).toBe("EverGIS rejected the login for 'alice' at https://x/sp (HTTP 401)");
		expect(factsOf(error).configuration).toEqual({
			message: "EverGIS rejected the login for 'alice' at https://x/sp (HTTP 401)",
			description: 'Check Username and Password in the EverGIS API credentials.',
		});
	});

	test('a Host without /sp (the web server’s HTML 404 page)', () => {
		const html = '<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>';
		const error = wrappedLike1x(loginError(answer(404, html, { 'content-type': 'text/html' })));
		expect(factsOf(error).configuration).toEqual({
			message:
				"EverGIS login for 'alice' at https://x/sp answered with an HTML page (HTTP 404), not the EverGIS API",
			description: expect.stringMatching(/^Host must be the base URL of the API/),
		});
	});

	test('a message that n8n replaced because it contains an error code (EPERM in the username) is recognised from `messages`', () => {
		const error = wrappedLike1x(loginError(answer(401, {}), 'deeperm'));
		expect(error.message).not.toContain('deeperm');
		expect(factsOf(error).configuration).toEqual({
			message: "EverGIS rejected the login for 'deeperm' at https://x/sp (HTTP 401)",
			description: 'Check Username and Password in the EverGIS API credentials.',
		});
	});

	test('another message, or an error without a description, is not a login error', () => {
		const other = new UserError('Something else failed', { description: 'Check it.' });
		expect(loginFailureOf(wrappedLike1x(other))).toBeUndefined();
		expect(
			loginFailureOf(new NodeApiError(NODE, { message: 'EverGIS rejected the login for x' })),
		).toBeUndefined();
		expect(factsOf(wrapped(axiosError({ code: 'ECONNREFUSED' }))).configuration).toBeUndefined();
		expect(
			loginFailureOf({ message: 'EverGIS rejected the login for x', description: 'x' }),
		).toBeUndefined();
	});

	test("a passing login failure (a proxy's HTML 502) is recognised from its message, with its status", () => {
		const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
		const error = wrappedLike1x(loginError(answer(502, html, { 'content-type': 'text/html' })));
		const facts = factsOf(error);
		expect(facts.configuration).toBeUndefined();
		expect(facts.login).toMatchObject({ kind: 'passing' });
		expect(facts.status).toBe(502);
	});

	test('with the cause kept (n8n 2.x from some release on) it is recognised as before', () => {
		const login = loginError(answer(403, {}));
		expect(factsOf(new NodeApiError(NODE, login as never)).configuration).toEqual({
			message: "EverGIS rejected the login for 'alice' at https://x/sp (HTTP 403)",
			description: 'Check Username and Password in the EverGIS API credentials.',
		});
	});
});

describe('a failed request wrapped by NodeApiError without its cause (n8n 1.x to 2.33)', () => {
	test('the status comes from httpCode and the JSON body from context.data (the server’s words)', () => {
		const body = { message: "Layer 'demo.no_such_catalog' does not exist", statusCode: 400 };
		const error = wrappedLike1x(axiosError({ status: 400, data: body }));
		expect(error.httpCode).toBe('400');
		expect(error.context.data).toEqual(body);
		const facts = factsOf(error);
		expect(facts.status).toBe(400);
		expect(facts.body).toEqual(body);
		expect(facts.configuration).toBeUndefined();
	});

	test('a text body (an HTML page) and the headers are gone: only the status is left', () => {
		const error = wrappedLike1x(
			axiosError({
				status: 503,
				data: '<html><body>busy</body></html>',
				headers: { 'content-type': 'text/html', 'retry-after': '7' },
			}),
		);
		const facts = factsOf(error);
		expect(facts.status).toBe(503);
		expect(facts.body).toBeUndefined();
		expect(facts.retryAfterMs).toBeUndefined();
	});
});
