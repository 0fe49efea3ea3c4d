import { NodeApiError } from 'n8n-workflow';

import {
	describeUnreachable,
	factsOf,
	isHtmlAnswer,
	isRouteError,
	parseRetryAfter,
	serverMessage,
} from '../../../nodes/EverGis/transport/failure';
import { configurationError } from '../../../nodes/EverGis/transport/loginErrors';
import { axiosError, NODE, PASSWORD, TOKEN, wrapped } from '../helpers/httpErrors';

describe('factsOf', () => {
	test('a NodeApiError around an axios error with a response: status, body, headers, Retry-After', () => {
		const error = wrapped(
			axiosError({
				status: 503,
				code: 'ERR_BAD_RESPONSE',
				data: { message: 'Server is busy' },
				headers: { 'content-type': 'application/json', 'retry-after': '7' },
			}),
		);
		expect(error).toBeInstanceOf(NodeApiError);
		const facts = factsOf(error);
		expect(facts).toMatchObject({
			status: 503,
			body: { message: 'Server is busy' },
			headers: { 'content-type': 'application/json', 'retry-after': '7' },
			retryAfterMs: 7000,
			timedOut: false,
			canceled: false,
		});
		expect(facts.configuration).toBeUndefined();
	});

	test('a 4xx keeps a text body', () => {
		const facts = factsOf(
			wrapped(axiosError({ status: 400, data: 'files must not be empty', headers: {} })),
		);
		expect(facts.status).toBe(400);
		expect(facts.body).toBe('files must not be empty');
		expect(facts.retryAfterMs).toBeUndefined();
	});

	test('a response without headers gives empty headers', () => {
		const error = axiosError({ status: 500 });
		error.response!.headers = undefined as never;
		const facts = factsOf(error);
		expect(facts.status).toBe(500);
		expect(facts.headers).toEqual({});
	});

	test('a response with `body` instead of `data` (request-style) is read too', () => {
		const facts = factsOf({ response: { status: 409, body: { message: 'exists' }, headers: {} } });
		expect(facts).toMatchObject({ status: 409, body: { message: 'exists' } });
	});

	test('a bare axios-like network error: its code, no status', () => {
		expect(factsOf({ code: 'ECONNRESET' })).toEqual({
			code: 'ECONNRESET',
			timedOut: false,
			canceled: false,
			retryAfterMs: undefined,
		});
	});

	test('the same network error wrapped by n8n', () => {
		const facts = factsOf(
			wrapped(axiosError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })),
		);
		expect(facts.status).toBeUndefined();
		expect(facts.code).toBe('ECONNREFUSED');
		expect(facts.timedOut).toBe(false);
	});

	test("axios's timeout: ECONNABORTED with 'timeout of …ms exceeded'", () => {
		const facts = factsOf({ code: 'ECONNABORTED', message: 'timeout of 1000ms exceeded' });
		expect(facts).toMatchObject({ code: 'ECONNABORTED', timedOut: true, canceled: false });
		expect(facts.status).toBeUndefined();
	});

	test('the timeout message alone (no code) is a timeout', () => {
		expect(factsOf(new Error('timeout of 60000ms exceeded')).timedOut).toBe(true);
	});

	test('ETIMEDOUT is a timeout', () => {
		expect(factsOf({ code: 'ETIMEDOUT' })).toMatchObject({ code: 'ETIMEDOUT', timedOut: true });
	});

	test('the timeout wrapped by n8n', () => {
		const facts = factsOf(
			wrapped(axiosError({ code: 'ECONNABORTED', message: 'timeout of 1000ms exceeded' })),
		);
		expect(facts).toMatchObject({ code: 'ECONNABORTED', timedOut: true });
	});

	test("an abort (the execution's cancel signal): DOMException AbortError", () => {
		const facts = factsOf(new DOMException('This operation was aborted', 'AbortError'));
		expect(facts.canceled).toBe(true);
		expect(facts.code).toBeUndefined(); // DOMException.code is a number, not a code
	});

	test("axios's CanceledError (ERR_CANCELED), wrapped by n8n", () => {
		const canceled = axiosError({ code: 'ERR_CANCELED', message: 'canceled' });
		canceled.name = 'CanceledError';
		expect(factsOf(wrapped(canceled))).toMatchObject({ canceled: true, code: 'ERR_CANCELED' });
		expect(factsOf({ code: 'ERR_CANCELED' }).canceled).toBe(true);
	});

	test('a cause chain: the code of a Node system error two levels down', () => {
		const system = Object.assign(new Error('getaddrinfo ENOTFOUND evergis.invalid'), {
			code: 'ENOTFOUND',
			syscall: 'getaddrinfo',
		});
		const error = new Error('request failed', {
			cause: new Error('fetch failed', { cause: system }),
		});
		expect(factsOf(error)).toMatchObject({ code: 'ENOTFOUND', timedOut: false });
	});

	test('the outermost status wins; a deeper one does not override it', () => {
		const inner = axiosError({ status: 500 });
		const outer = Object.assign(new Error('outer', { cause: inner }), {
			response: { status: 429, headers: { 'retry-after': '1' } },
		});
		expect(factsOf(outer)).toMatchObject({ status: 429, retryAfterMs: 1000 });
	});

	test('a status found only deeper in the chain is found', () => {
		const error = new Error('wrapper', { cause: axiosError({ status: 502, data: 'Bad Gateway' }) });
		expect(factsOf(error)).toMatchObject({ status: 502, body: 'Bad Gateway' });
	});

	test('a NodeApiError without a response: its httpCode gives the status', () => {
		const error = new NodeApiError(NODE, { message: 'x' }, { httpCode: '504' });
		expect(factsOf(error).status).toBe(504);
	});

	test('a non-numeric httpCode (n8n puts a network code there) is not a status', () => {
		const error = wrapped(axiosError({ code: 'ECONNRESET' }));
		const facts = factsOf(error);
		expect(facts.status).toBeUndefined();
		expect(facts.code).toBe('ECONNRESET');
	});

	test('a configuration error (thrown by the login in preAuthentication) is carried', () => {
		const login = configurationError('EverGIS rejected the login', 'Check Username and Password.');
		const facts = factsOf(new NodeApiError(NODE, login as never));
		expect(facts.configuration).toEqual({
			message: 'EverGIS rejected the login',
			description: 'Check Username and Password.',
		});
	});

	test.each([['econnreset'], ['EX'], [''], ['Not a code']])(
		'a code that does not look like one (%p) is ignored',
		(code) => {
			expect(factsOf({ code }).code).toBeUndefined();
		},
	);

	test('a numeric code is ignored', () => {
		expect(factsOf({ code: 20 }).code).toBeUndefined();
	});

	test.each([undefined, null, 'boom', 42])('a non-object (%p) gives empty facts', (error) => {
		expect(factsOf(error)).toEqual({ timedOut: false, canceled: false, retryAfterMs: undefined });
	});

	test('a cause cycle does not hang', () => {
		const a: { cause?: unknown; code?: string } = {};
		const b = { cause: a, code: 'EPIPE' };
		a.cause = b;
		expect(factsOf(a).code).toBe('EPIPE');
	});

	test('the facts never carry the request (its token and the password)', () => {
		const facts = factsOf(
			wrapped(axiosError({ status: 401, data: { message: 'Unauthorized' }, headers: {} })),
		);
		const text = JSON.stringify(facts);
		expect(text).not.toContain(PASSWORD);
		expect(text).not.toContain(TOKEN);
		expect(Object.keys(facts).sort()).toEqual(
			['body', 'canceled', 'headers', 'retryAfterMs', 'status', 'timedOut'].sort(),
		);
	});
});

describe('parseRetryAfter', () => {
	afterEach(() => jest.useRealTimers());

	test.each([
		['7', 7000],
		[7, 7000],
		['0', 0],
		['1.5', 1500],
		['120', 120_000],
	])('seconds %p → %p ms', (value, ms) => {
		expect(parseRetryAfter(value)).toBe(ms);
	});

	test('an HTTP date → the milliseconds until then', () => {
		jest.useFakeTimers({ now: new Date('2024-01-15T10:00:00Z') });
		expect(parseRetryAfter('Mon, 15 Jan 2024 10:00:30 GMT')).toBe(30_000);
	});

	test('an HTTP date in the past → 0', () => {
		jest.useFakeTimers({ now: new Date('2024-01-15T10:00:00Z') });
		expect(parseRetryAfter('Mon, 15 Jan 2024 09:59:00 GMT')).toBe(0);
	});

	test.each([[undefined], [null], ['soon'], [{}], [['5']], [true]])('%p → undefined', (value) => {
		expect(parseRetryAfter(value)).toBeUndefined();
	});
});

describe('isHtmlAnswer', () => {
	test.each([
		[{ 'content-type': 'text/html' }, ''],
		[{ 'content-type': 'text/html; charset=utf-8' }, { message: 'x' }],
		[{ 'content-type': 'TEXT/HTML' }, undefined],
		[{}, '<!DOCTYPE html><html><body>502</body></html>'],
		[{}, '\n  <html>\r\n<head><title>502 Bad Gateway</title></head>'],
		[{ 'content-type': 'application/json' }, '<HTML><BODY>gateway</BODY></HTML>'],
		[undefined, '<head></head>'],
		[null, '<body>x</body>'],
		[{}, '<?xml version="1.0"?><Error/>'],
	])('HTML: headers %p, body %p', (headers, body) => {
		expect(isHtmlAnswer(headers, body)).toBe(true);
	});

	test.each([
		[{ 'content-type': 'application/json' }, { message: 'x' }],
		[{ 'content-type': 'application/json' }, '{"message": "<b>bold</b>"}'],
		[{}, 'plain text error'],
		[{}, 'a < b and <html> later'],
		[undefined, undefined],
		[{ 'content-type': 'text/plain' }, 'Bad Gateway'],
	])('not HTML: headers %p, body %p', (headers, body) => {
		expect(isHtmlAnswer(headers, body)).toBe(false);
	});
});

describe('isRouteError: "no such route" versus EverGIS\'s "no such task"', () => {
	const at = (status: number, body?: unknown) => ({
		status,
		body,
		timedOut: false,
		canceled: false,
	});
	test.each([
		['an empty 404 (ASP.NET, no controller)', at(404, '')],
		['a 404 without a body (n8n before 2.34 keeps only JSON ones)', at(404)],
		["nginx's HTML 404", at(404, '<html><head><title>404 Not Found</title></head></html>')],
		['a 404 whose body is plain text', at(404, 'Not Found')],
		['an empty 405', at(405, '')],
		['a 405 with a JSON body', at(405, { message: 'GET is not allowed' })],
	])('%s: route', (_, facts) => {
		expect(isRouteError(facts)).toBe(true);
	});
	test.each([
		[
			"the spec's ErrorDetailsDc",
			at(404, { errorType: 'ResourceNotFound', message: 'x', statusCode: 404 }),
		],
		["ASP.NET's problem details", at(404, { title: 'Not Found', status: 404, traceId: '00-1' })],
		['another status', at(400, '')],
		['a 500 page', at(500, '<html></html>')],
		['no answer', { timedOut: true, canceled: false }],
		['nothing', undefined],
	])('%s: not a route error', (_, facts) => {
		expect(isRouteError(facts)).toBe(false);
	});
});

describe('serverMessage', () => {
	test("the spec's ErrorDetailsDc: its message, else its errorType", () => {
		expect(
			serverMessage({ errorType: 'ResourceNotFound', message: 'No task 42', statusCode: 404 }),
		).toBe('No task 42');
		expect(serverMessage({ errorType: 'ResourceNotFound', message: null, statusCode: 404 })).toBe(
			'ResourceNotFound',
		);
	});

	test('{message}', () => {
		expect(serverMessage({ message: 'Catalog demo.x does not exist' })).toBe(
			'Catalog demo.x does not exist',
		);
	});

	test('{detail} (RFC 7807) and {title}', () => {
		expect(serverMessage({ title: 'Bad Request', detail: 'files is empty' })).toBe(
			'files is empty',
		);
		expect(serverMessage({ title: 'Not Found', status: 404 })).toBe('Not Found');
	});

	test('{error: {message}}', () => {
		expect(serverMessage({ error: { code: 'E1', message: 'Task not found' } })).toBe(
			'Task not found',
		);
	});

	test('{error: "…"}', () => {
		expect(serverMessage({ error: 'invalid_grant' })).toBe('invalid_grant');
	});

	test('{errors: {field: [...]}} alone: every field with its problems', () => {
		expect(
			serverMessage({
				errors: { files: ['The files field is required.'], maxZoomLevel: ['Too big.', 3] },
			}),
		).toBe('files: The files field is required.; maxZoomLevel: Too big.');
	});

	test('ASP.NET validation problem {title, errors}: the title at least', () => {
		const said = serverMessage({
			type: 'https://tools.ietf.org/html/rfc7231#section-6.5.1',
			title: 'One or more validation errors occurred.',
			status: 400,
			errors: { files: ['The files field is required.'] },
		});
		expect(said).toContain('One or more validation errors occurred.');
	});

	test('ASP.NET validation problem {title, errors}: the field errors are said', () => {
		const said = serverMessage({
			type: 'https://tools.ietf.org/html/rfc7231#section-6.5.1',
			title: 'One or more validation errors occurred.',
			status: 400,
			traceId: '00-8f1c-01',
			errors: {
				files: ['The files field is required.'],
				'target.serviceName': ["Service 'demo.nope' not found."],
			},
		});
		expect(said).toContain('The files field is required.');
		expect(said).toContain("Service 'demo.nope' not found.");
	});

	test('a text body is the message', () => {
		expect(serverMessage('Task 42 is not found')).toBe('Task 42 is not found');
	});

	test('white space and new lines fold into one line', () => {
		expect(serverMessage({ message: '  line one\n\n  line two\t end ' })).toBe(
			'line one line two end',
		);
	});

	test('long text is cut to 300 characters, ending with ...', () => {
		const said = serverMessage('x'.repeat(1000))!;
		expect(said).toHaveLength(300);
		expect(said.endsWith('...')).toBe(true);
		expect(serverMessage('y'.repeat(300))).toBe('y'.repeat(300));
		expect(serverMessage('y'.repeat(301))).toHaveLength(300);
	});

	test.each([
		['an HTML page', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
		['empty text', ''],
		['white space', '   \n '],
		['an empty message', { message: '   ' }],
		['a non-string message', { message: { text: 'x' } }],
		['an array', ['a', 'b']],
		['null', null],
		['undefined', undefined],
		['a number', 500],
		['an empty object', {}],
	])('nothing to say for %s', (_label, body) => {
		expect(serverMessage(body)).toBeUndefined();
	});
});

describe('describeUnreachable', () => {
	const host = 'https://x/sp';

	test('a timeout names the time, in seconds', () => {
		const said = describeUnreachable(
			{ timedOut: true, canceled: false, code: 'ECONNABORTED' },
			host,
			60_000,
		);
		expect(said.message).toBe('no answer within 60 s');
		expect(said.description).toContain(host);
	});

	test('refused: what happened in words, the code in the hint', () => {
		const said = describeUnreachable(
			{ timedOut: false, canceled: false, code: 'ECONNREFUSED' },
			host,
		);
		expect(said.message).toBe('nothing accepts connections there (connection refused)');
		expect(said.description).toContain(host);
		expect(said.description).toContain('(ECONNREFUSED)');
	});

	test('DNS', () => {
		expect(
			describeUnreachable({ timedOut: false, canceled: false, code: 'ENOTFOUND' }, host).message,
		).toBe('the host name could not be resolved (DNS)');
	});

	// Every X.509 verification code of Node 20 and 24 (the strings in their binaries, in the order of
	// OpenSSL's X509_V_ERR list), and the host name check of node:tls.
	const NODE_CERT_CODES = [
		'UNABLE_TO_GET_ISSUER_CERT',
		'UNABLE_TO_GET_CRL',
		'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
		'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
		'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
		'CERT_SIGNATURE_FAILURE',
		'CRL_SIGNATURE_FAILURE',
		'CERT_NOT_YET_VALID',
		'CERT_HAS_EXPIRED',
		'CRL_NOT_YET_VALID',
		'CRL_HAS_EXPIRED',
		'ERROR_IN_CERT_NOT_BEFORE_FIELD',
		'ERROR_IN_CERT_NOT_AFTER_FIELD',
		'ERROR_IN_CRL_LAST_UPDATE_FIELD',
		'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
		'DEPTH_ZERO_SELF_SIGNED_CERT',
		'SELF_SIGNED_CERT_IN_CHAIN',
		'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
		'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
		'CERT_CHAIN_TOO_LONG',
		'CERT_REVOKED',
		'INVALID_CA',
		'PATH_LENGTH_EXCEEDED',
		'INVALID_PURPOSE',
		'CERT_UNTRUSTED',
		'CERT_REJECTED',
		'HOSTNAME_MISMATCH',
		'ERR_TLS_CERT_ALTNAME_INVALID',
	];
	/** The codes a certificate authority unknown to n8n gives (a company CA, a self-signed one). */
	const UNTRUSTED = [
		'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
		'UNABLE_TO_GET_ISSUER_CERT',
		'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
		'SELF_SIGNED_CERT_IN_CHAIN',
		'DEPTH_ZERO_SELF_SIGNED_CERT',
		'CERT_UNTRUSTED',
	];
	/** The certificate itself is wrong: another CA would not help. */
	const WRONG_CERTIFICATE = [
		'CERT_HAS_EXPIRED',
		'CERT_NOT_YET_VALID',
		'ERR_TLS_CERT_ALTNAME_INVALID',
		'HOSTNAME_MISMATCH',
		'CERT_REVOKED',
	];

	test.each(NODE_CERT_CODES)('%s is a certificate problem, named in the message', (code) => {
		const said = describeUnreachable({ timedOut: false, canceled: false, code }, host);
		expect(said.message).toMatch(/TLS certificate/);
		expect(said.message).toContain(`(${code})`);
		expect(said.description).toMatch(/Ignore SSL Issues/);
		expect(said.description).not.toMatch(/Check Host in the EverGIS API credentials/);
	});

	test.each(UNTRUSTED)(
		'%s (an unknown CA): the message itself points at NODE_EXTRA_CA_CERTS (the Test button shows only the message)',
		(code) => {
			const said = describeUnreachable({ timedOut: false, canceled: false, code }, host);
			expect(said.message).toMatch(/: give n8n the CA with NODE_EXTRA_CA_CERTS$/);
			expect(said.description).toContain('NODE_EXTRA_CA_CERTS=/path/to/ca.pem');
		},
	);

	test('a company CA (UNABLE_TO_GET_ISSUER_CERT_LOCALLY): the whole sentence', () => {
		expect(
			describeUnreachable(
				{ timedOut: false, canceled: false, code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
				host,
			).message,
		).toBe(
			'its TLS certificate is issued by a certificate authority that n8n does not trust ' +
				'(UNABLE_TO_GET_ISSUER_CERT_LOCALLY): give n8n the CA with NODE_EXTRA_CA_CERTS',
		);
	});

	test.each(WRONG_CERTIFICATE)(
		'%s (the certificate itself): the server must change, no CA advice',
		(code) => {
			const said = describeUnreachable({ timedOut: false, canceled: false, code }, host);
			expect(said.message).not.toContain('NODE_EXTRA_CA_CERTS');
			expect(said.description).not.toContain('NODE_EXTRA_CA_CERTS');
			expect(said.description).toContain(host);
		},
	);

	test.each(
		NODE_CERT_CODES.filter(
			(code) => !UNTRUSTED.includes(code) && !WRONG_CERTIFICATE.includes(code),
		),
	)('%s (anything else about the certificate): rejected, both ways out', (code) => {
		const said = describeUnreachable({ timedOut: false, canceled: false, code }, host);
		expect(said.message).toBe(`its TLS certificate was rejected (${code})`);
		expect(said.description).toContain('NODE_EXTRA_CA_CERTS');
	});

	test('a certificate code Node may add later is still a certificate problem', () => {
		expect(
			describeUnreachable({ timedOut: false, canceled: false, code: 'SOME_NEW_CERT_ERROR' }, host)
				.message,
		).toBe('its TLS certificate was rejected (SOME_NEW_CERT_ERROR)');
	});

	test('an unknown code or none: "the connection failed"', () => {
		expect(describeUnreachable({ timedOut: false, canceled: false, code: 'EWHAT' }, host)).toEqual({
			message: 'the connection failed',
			description: `Check Host in the EverGIS API credentials (${host}) and that the n8n server can reach it. (EWHAT)`,
		});
		expect(describeUnreachable({ timedOut: false, canceled: false }, host).description).not.toMatch(
			/\(\)/,
		);
	});
});
