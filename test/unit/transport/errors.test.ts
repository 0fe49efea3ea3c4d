import { NodeApiError } from 'n8n-workflow';

import {
	apiError,
	isTransientError,
	taskMayExist,
	redact,
	type ErrorContext,
	type RequestPurpose,
} from '../../../nodes/EverGis/transport/errors';
import type { FailureFacts } from '../../../nodes/EverGis/transport/failure';
import { factsOf } from '../../../nodes/EverGis/transport/failure';
import { tokenFromLoginAnswer } from '../../../nodes/EverGis/transport/login';
import { thrownBy } from '../helpers/throws';
import { axiosError, NODE, PASSWORD, TOKEN, wrapped } from '../helpers/httpErrors';

const HOST = 'https://x/sp';
const CONTEXT: ErrorContext = {
	host: HOST,
	attempts: 1,
	timeoutMs: 60_000,
	secrets: [PASSWORD, TOKEN],
};
const CREATE: RequestPurpose = { action: 'creating the tiling task', kind: 'create', itemIndex: 0 };
const READ: RequestPurpose = { action: "reading task 1c8d7949's progress", kind: 'read' };
const UPLOAD: RequestPurpose = { action: "uploading 'RGB.byte.tif'", kind: 'upload' };

function facts(partial: Partial<FailureFacts>): FailureFacts {
	return { timedOut: false, canceled: false, ...partial };
}
const json = (body: unknown, status: number, headers: Record<string, unknown> = {}) =>
	facts({ status, body, headers: { 'content-type': 'application/json', ...headers } });

/** Everything of the error a user, a log or a stored execution could see. */
function everything(error: NodeApiError): string {
	return [
		error.message,
		error.description ?? '',
		JSON.stringify(error),
		JSON.stringify(error.messages),
		JSON.stringify(error.errorResponse),
		JSON.stringify(error.context),
		String(error.httpCode),
	].join('\n');
}

describe('redact', () => {
	test('a JWT-shaped string anywhere is removed', () => {
		expect(redact(`token ${TOKEN} expired`, [])).toBe('token *** expired');
		expect(redact(`{"token":"${TOKEN}"}`, [])).toBe('{"token":"***"}');
	});

	test('every JWT in the text, not only the first', () => {
		const out = redact(`${TOKEN} and ${TOKEN}`, []);
		expect(out).toBe('*** and ***');
	});

	test('the secrets given are removed, every occurrence', () => {
		expect(redact(`login alice/${PASSWORD} failed (${PASSWORD})`, [PASSWORD])).toBe(
			'login alice/*** failed (***)',
		);
	});

	test('secrets with regular-expression characters are removed literally', () => {
		const secret = 'p@ss.w*rd(1)+[x]$';
		expect(redact(`password=${secret};`, [secret])).toBe('password=***;');
		expect(redact('pXssXwXrd', [secret])).toBe('pXssXwXrd');
	});

	test('Bearer x and jwt=x are removed even when the value is not a known secret', () => {
		expect(redact('Authorization: Bearer abc.def-ghi', [])).toBe('Authorization: Bearer***');
		expect(redact('Cookie: jwt=opaque-token; Path=/', [])).toBe('Cookie: jwt=***; Path=/');
		expect(redact('authorization: bearer lower', [])).toBe('authorization: bearer***');
	});

	test('empty and very short secrets are not used (they would shred ordinary text)', () => {
		expect(redact('the catalog is ready', ['', 'a', 'the'])).toBe('the catalog is ready');
	});

	test('text without secrets is unchanged', () => {
		const text =
			"EverGIS refused the request while creating the tiling task (HTTP 400): 'files' is empty";
		expect(redact(text, [PASSWORD, TOKEN])).toBe(text);
	});
});

describe('apiError: messages', () => {
	test('400 with the server message, and the hint of the caller', () => {
		const error = apiError(
			NODE,
			json({ message: "Catalog 'demo.x' has no attribute 'cloud'" }, 400),
			{ ...CREATE, badRequestHint: 'Check the attributes against the catalog.' },
			CONTEXT,
		);
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe(
			"EverGIS refused the request while creating the tiling task (HTTP 400): Catalog 'demo.x' has no attribute 'cloud'",
		);
		expect(error.description).toBe('Check the attributes against the catalog.');
		expect(error.httpCode).toBe('400');
		expect(error.context.itemIndex).toBe(0);
	});

	test('400 without a server message or hint', () => {
		const error = apiError(NODE, facts({ status: 400, body: '' }), READ, CONTEXT);
		expect(error.message).toBe(
			"EverGIS refused the request while reading task 1c8d7949's progress (HTTP 400)",
		);
		expect(error.description).toBe('Check the node parameters against what EverGIS expects.');
	});

	test('401 after n8n logged in again: the token is not accepted, check the credentials', () => {
		const error = apiError(NODE, json({ message: 'Access denied' }, 401), CREATE, CONTEXT);
		expect(error.message).toBe(
			'EverGIS denied access while creating the tiling task (HTTP 401): Access denied',
		);
		expect(error.description).toMatch(/logged in again/);
	});

	test('403: not allowed, naming the user and what was done; no new login', () => {
		const error = apiError(
			NODE,
			json({ message: 'No permission' }, 403),
			{ ...CREATE, action: "creating the tiling task for catalog 'bob.scans'" },
			{ ...CONTEXT, username: 'alice' },
		);
		expect(error.message).toBe(
			"EverGIS denied user 'alice' access (HTTP 403) while creating the tiling task for catalog 'bob.scans': No permission",
		);
		expect(error.description).toMatch(/lacks the right/);
		expect(error.description).toMatch(/Logging in again would not change this/);
	});

	test("404 with the caller's notFound: exactly its message and hint", () => {
		const notFound = {
			message: "EverGIS has no task '1c8d7949'",
			description: 'Check the task ID.',
		};
		const error = apiError(NODE, json({}, 404), { ...READ, notFound }, CONTEXT);
		expect(error.message).toBe(notFound.message);
		expect(error.description).toBe(notFound.description);
	});

	test('404 without notFound: no such resource, check the /sp prefix', () => {
		const error = apiError(NODE, json({ message: 'Not found' }, 404), READ, CONTEXT);
		expect(error.message).toBe(
			"EverGIS has no such resource (HTTP 404) while reading task 1c8d7949's progress: Not found",
		);
		expect(error.description).toContain(HOST);
		expect(error.description).toContain('/sp');
	});

	test('409: a conflict', () => {
		const error = apiError(NODE, json({ message: 'Layer exists' }, 409), CREATE, CONTEXT);
		expect(error.message).toBe(
			'EverGIS reported a conflict (HTTP 409) while creating the tiling task: Layer exists',
		);
	});

	test('413 (even as an nginx HTML page): the file is too large, raise the proxy limit', () => {
		const error = apiError(
			NODE,
			facts({
				status: 413,
				headers: { 'content-type': 'text/html' },
				body: '<html><head><title>413 Request Entity Too Large</title></head></html>',
			}),
			UPLOAD,
			CONTEXT,
		);
		expect(error.message).toBe(
			"The file is too large for the server (HTTP 413) while uploading 'RGB.byte.tif'",
		);
		expect(error.description).toContain('client_max_body_size');
	});

	test('an HTML answer: a proxy or the web client answered, check Host', () => {
		const error = apiError(
			NODE,
			facts({
				status: 502,
				headers: { 'content-type': 'text/html' },
				body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
			}),
			READ,
			{ ...CONTEXT, attempts: 6 },
		);
		expect(error.message).toBe(
			"EverGIS answered with an HTML page instead of JSON (HTTP 502) while reading task 1c8d7949's progress (tried 6 times)",
		);
		expect(error.description).toContain(HOST);
		expect(error.message).not.toContain('<');
	});

	// Red before: an empty 404 (ASP.NET's, for a path no controller serves) said "EverGIS has no task".
	test.each([
		['an HTML 404', 404, '<!DOCTYPE html><html></html>', "the web server's page"],
		['an empty 404', 404, '', 'no EverGIS answer'],
		['no body (n8n before 2.34 keeps only JSON ones)', 404, undefined, 'no EverGIS answer'],
		['a 405', 405, '', 'no EverGIS answer'],
		['a 405 with a JSON body', 405, { message: 'Method Not Allowed' }, 'no EverGIS answer'],
	])(
		'%s: the server does not serve the route, not the notFound of the caller',
		(_, status, body, page) => {
			const error = apiError(
				NODE,
				facts({ status, body, headers: {} }),
				{ ...READ, notFound: { message: 'no task', description: 'x' } },
				{ ...CONTEXT, route: 'GET /scheduler/tasks/1c8d7949/progress' },
			);
			expect(error.message).toBe(
				`EverGIS at ${HOST} does not serve GET /scheduler/tasks/1c8d7949/progress (HTTP ${status}, ${page}) while reading task 1c8d7949's progress`,
			);
			expect(error.description).toMatch(/another version of the EverGIS API/);
		},
	);

	test.each([
		[{ message: 'Task 1c8d7949 was not found', errorType: 'ResourceNotFound', statusCode: 404 }],
		[
			{
				type: 'https://tools.ietf.org/html/rfc7231#section-6.5.4',
				title: 'Not Found',
				status: 404,
				traceId: '00-1',
			},
		],
	])("EverGIS's own JSON 404 (%p) is the caller's notFound", (body) => {
		const error = apiError(
			NODE,
			facts({ status: 404, body, headers: {} }),
			{ ...READ, notFound: { message: 'no task', description: 'x' } },
			CONTEXT,
		);
		expect(error.message).toBe('no task');
	});

	test.each([419, 429])('%p: the server stayed busy; what the node did, what to do', (status) => {
		const error = apiError(NODE, json({}, status), UPLOAD, { ...CONTEXT, attempts: 14 });
		expect(error.message).toBe(
			`EverGIS stayed busy (HTTP ${status}) while uploading 'RGB.byte.tif' (tried 14 times)`,
		);
		expect(error.description).toMatch(/sent fewer requests and waited/);
		expect(error.description).toMatch(/maximumActiveRequests/);
	});

	test.each([500, 502, 504])(
		'%p on create: the task may exist, check before running again',
		(status) => {
			const error = apiError(
				NODE,
				json({ message: 'NullReferenceException' }, status),
				CREATE,
				CONTEXT,
			);
			expect(error.message).toBe(
				`EverGIS may have created the task: it answered HTTP ${status} while creating the tiling task: NullReferenceException`,
			);
			expect(error.description).toMatch(/did not send it again/);
			expect(error.description).toMatch(/whether the task exists/);
		},
	);

	test.each([419, 429])('%p on create: busy, the server did not take it', (status) => {
		const error = apiError(NODE, json({}, status), CREATE, { ...CONTEXT, attempts: 6 });
		expect(error.message).toBe(
			`EverGIS stayed busy (HTTP ${status}) while creating the tiling task (tried 6 times)`,
		);
		expect(error.message).not.toMatch(/may have created/);
		expect(taskMayExist(error)).toBe(false);
	});

	test('503: unavailable, tried like a fault (a bounded time), and on create the server did not take it', () => {
		const read = apiError(NODE, json({}, 503), UPLOAD, { ...CONTEXT, attempts: 6 });
		expect(read.message).toBe(
			"EverGIS was unavailable (HTTP 503) while uploading 'RGB.byte.tif' (tried 6 times)",
		);
		expect(read.description).toMatch(/about half a minute/);
		const create = apiError(NODE, json({}, 503), CREATE, { ...CONTEXT, attempts: 6 });
		expect(create.message).not.toMatch(/may have created/);
		expect(taskMayExist(create)).toBe(false);
	});

	test('a login that failed for a passing reason during the re-login of a task creation: not "may have created" (the create was answered 401)', () => {
		const login = thrownBy(() =>
			tokenFromLoginAnswer(
				{
					statusCode: 502,
					body: '<html>Bad Gateway</html>',
					headers: { 'content-type': 'text/html' },
				},
				'https://x/sp',
				'alice',
			),
		);
		const facts = factsOf(wrapped(login as Error));
		const error = apiError(NODE, facts, CREATE, CONTEXT);
		expect(taskMayExist(error)).toBe(false);
		expect(error.message).toBe(
			"EverGIS could not serve the login for 'alice' at https://x/sp now (HTTP 502, an HTML page: a proxy or gateway answered) while creating the tiling task",
		);
	});

	test.each([
		['a 500', json({}, 500), true],
		['a reset', facts({ code: 'ECONNRESET' }), true],
		['a timeout', facts({ timedOut: true, code: 'ECONNABORTED' }), true],
		['a refused connection', facts({ code: 'ECONNREFUSED' }), false],
		['a 400', json({}, 400), false],
	])('create failing with %s: the task may exist = %p', (_label, failure, mayExist) => {
		expect(taskMayExist(apiError(NODE, failure, CREATE, CONTEXT))).toBe(mayExist);
		expect(taskMayExist(apiError(NODE, failure, READ, CONTEXT))).toBe(false);
	});

	test('a request stopped because another item failed says so', () => {
		const error = apiError(NODE, facts({ canceled: true }), CREATE, {
			...CONTEXT,
			stopReason: 'itemFailed',
		});
		expect(error.message).toBe(
			'Stopped while creating the tiling task: another item of this execution failed',
		);
		expect(taskMayExist(error)).toBe(false);
	});

	test('500 on a read: the server failed, with attempts and its message', () => {
		const error = apiError(NODE, json({ message: 'Database down' }, 500), READ, {
			...CONTEXT,
			attempts: 6,
		});
		expect(error.message).toBe(
			"EverGIS failed while reading task 1c8d7949's progress (HTTP 500) (tried 6 times): Database down",
		);
		expect(error.description).toMatch(/Try again later/);
	});

	test('another status', () => {
		const error = apiError(NODE, json({ message: 'Teapot' }, 418), READ, CONTEXT);
		expect(error.message).toBe(
			"EverGIS answered HTTP 418 while reading task 1c8d7949's progress: Teapot",
		);
	});

	test.each([
		['ECONNREFUSED', 'nothing accepts connections there (connection refused)'],
		['ENOTFOUND', 'the host name could not be resolved (DNS)'],
		['EAI_AGAIN', 'the host name could not be resolved right now (DNS)'],
		['ECONNRESET', 'the connection was reset'],
	])('%s on a read: could not reach EverGIS', (code, words) => {
		const error = apiError(NODE, facts({ code }), READ, { ...CONTEXT, attempts: 6 });
		expect(error.message).toBe(
			`Could not reach EverGIS while reading task 1c8d7949's progress: ${words} (tried 6 times)`,
		);
		expect(error.description).toContain(HOST);
		expect(error.description).toContain(`(${code})`);
		expect(error.httpCode).toBeNull();
	});

	test.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'])(
		'%s on create: never sent, so "could not reach", not "may have created"',
		(code) => {
			const error = apiError(NODE, facts({ code }), CREATE, CONTEXT);
			expect(error.message).toMatch(/^Could not reach EverGIS while creating the tiling task: /);
		},
	);

	test.each(['EHOSTUNREACH', 'ENETUNREACH'])(
		'%s on create (retried as never connected): "could not reach", not "may have created"',
		(code) => {
			const error = apiError(NODE, facts({ code }), CREATE, { ...CONTEXT, attempts: 6 });
			expect(error.message).toMatch(/^Could not reach EverGIS while creating the tiling task: /);
			expect(error.message).not.toMatch(/may have created/);
		},
	);

	test.each([
		['ECONNRESET', 'the connection was reset'],
		['EPIPE', 'the connection was closed while sending'],
	])('%s on create: the task may exist', (code, words) => {
		const error = apiError(NODE, facts({ code }), CREATE, CONTEXT);
		expect(error.message).toBe(
			`EverGIS may have created the task: ${words} while creating the tiling task`,
		);
		expect(error.description).toMatch(/whether the task exists/);
	});

	test('a timeout on create: the task may exist, and the time waited is said', () => {
		const error = apiError(NODE, facts({ code: 'ECONNABORTED', timedOut: true }), CREATE, CONTEXT);
		expect(error.message).toBe(
			'EverGIS may have created the task: no answer within 60 s while creating the tiling task',
		);
	});

	test('a timeout on a read', () => {
		const error = apiError(NODE, facts({ timedOut: true }), READ, { ...CONTEXT, attempts: 2 });
		expect(error.message).toBe(
			"Could not reach EverGIS while reading task 1c8d7949's progress: no answer within 60 s (tried 2 times)",
		);
	});

	test('canceled: stopped, whatever else happened', () => {
		const error = apiError(NODE, facts({ canceled: true, status: 500 }), CREATE, CONTEXT);
		expect(error.message).toBe(
			'Stopped while creating the tiling task: the execution was canceled',
		);
	});

	test('a configuration error (from the login) is reported as it is', () => {
		const error = apiError(
			NODE,
			facts({
				status: 401,
				configuration: {
					message: "EverGIS rejected the login for 'alice' at https://x/sp (HTTP 401)",
					description: 'Check Username and Password in the EverGIS API credentials.',
				},
			}),
			READ,
			CONTEXT,
		);
		expect(error.message).toBe("EverGIS rejected the login for 'alice' at https://x/sp (HTTP 401)");
		expect(error.description).toBe('Check Username and Password in the EverGIS API credentials.');
		expect(isTransientError(error)).toBe(false);
	});

	test('from what n8n throws, end to end (factsOf → apiError)', () => {
		const thrown = wrapped(
			axiosError({
				status: 400,
				code: 'ERR_BAD_REQUEST',
				data: { message: "Files not found: 'landsat_test_image.tif'" },
			}),
		);
		const error = apiError(NODE, factsOf(thrown), CREATE, CONTEXT);
		expect(error.message).toBe(
			"EverGIS refused the request while creating the tiling task (HTTP 400): Files not found: 'landsat_test_image.tif'",
		);
	});

	test('its own message survives a file name that contains a Node error code', () => {
		const error = apiError(
			NODE,
			json({}, 500),
			{ action: "uploading 'preexisting_roads.tif'", kind: 'upload' },
			CONTEXT,
		);
		expect(error.message).toBe("EverGIS failed while uploading 'preexisting_roads.tif' (HTTP 500)");
	});
});

describe('apiError: secrets never leave', () => {
	const echoes = `password=${PASSWORD} Authorization: Bearer ${TOKEN}; Cookie: jwt=${TOKEN}`;
	const cases: Array<[string, FailureFacts, RequestPurpose]> = [
		['400 echoing the request', json({ message: echoes }, 400), CREATE],
		['500 on create echoing', json({ detail: echoes }, 500), CREATE],
		['text body', facts({ status: 502, body: echoes, headers: {} }), READ],
		['nested error', json({ error: { message: echoes } }, 409), READ],
		[
			'secret in the action',
			facts({ status: 404, body: {} }),
			{ action: `reading ${TOKEN}`, kind: 'read' },
		],
		['secret in the hint', json({}, 400), { ...CREATE, badRequestHint: `body had ${PASSWORD}` }],
		[
			'network failure',
			facts({ code: 'ECONNRESET' }),
			{ action: `uploading '${PASSWORD}.tif'`, kind: 'upload' },
		],
		[
			'configuration',
			facts({
				configuration: { message: `login ${PASSWORD} failed`, description: `token ${TOKEN}` },
			}),
			READ,
		],
	];

	test.each(cases)('%s', (_label, failure, purpose) => {
		const error = apiError(NODE, failure, purpose, CONTEXT);
		const text = everything(error);
		expect(text).not.toContain(PASSWORD);
		expect(text).not.toContain(TOKEN);
		expect(text).not.toContain(TOKEN.split('.')[1]);
	});

	test('the wrapped axios error (with the request and its headers) is not carried', () => {
		const thrown = wrapped(axiosError({ status: 500, data: { message: 'boom' } }));
		const error = apiError(NODE, factsOf(thrown), READ, CONTEXT);
		expect(error.cause).toBeUndefined();
		expect(everything(error)).not.toContain(PASSWORD);
		expect(everything(error)).not.toContain('Authorization');
	});

	test('the server message is kept (redacted) for the error output', () => {
		const error = apiError(NODE, json({ message: `bad token ${TOKEN}` }, 400), CREATE, CONTEXT);
		expect(error.errorResponse).toMatchObject({ httpCode: '400', serverMessage: 'bad token ***' });
	});
});

describe('isTransientError', () => {
	test.each([
		[json({}, 503), READ, true],
		[json({}, 500), CREATE, true],
		[json({}, 429), UPLOAD, true],
		[facts({ code: 'ECONNRESET' }), CREATE, true],
		[facts({ timedOut: true }), READ, true],
		[json({}, 400), READ, false],
		[json({}, 404), READ, false],
		[json({}, 401), READ, false],
		[facts({ canceled: true }), READ, false],
		[facts({ code: 'ENOTFOUND' }), READ, false],
	])('%p while %p → %p', (failure, purpose, transient) => {
		expect(isTransientError(apiError(NODE, failure, purpose, CONTEXT))).toBe(transient);
	});

	test.each([undefined, null, new Error('x'), 'text'])('%p is not transient', (value) => {
		expect(isTransientError(value)).toBe(false);
	});
});
