import type { INode, NodeApiError } from 'n8n-workflow';

import { apiErrorOf } from '../shared/nodeErrors';

import type { FailureFacts } from './failure';
import { describeUnreachable, isHtmlAnswer, isRouteError, serverMessage } from './failure';
import type { RequestKind } from './retry';
import { isRetryable, wasNeverSent, wasRefused } from './retry';
import type { StopReason } from './run';

/** What the caller was doing, so that an error can say it in the user's terms. */
export interface RequestPurpose {
	/** e.g. "uploading 'RGB.byte.tif'", "creating the tiling task", "reading task 1c8d… progress" */
	action: string;
	kind: RequestKind;
	itemIndex?: number;
	/** Message and hint for a 404, when it means something specific (an unknown task or catalog). */
	notFound?: { message: string; description: string };
	/** Message and hint for a 400, when the caller knows what the body held. */
	badRequestHint?: string;
}

export interface ErrorContext {
	host: string;
	/** The EverGIS user of the credentials (a 403 names who is not allowed). */
	username?: string;
	attempts: number;
	timeoutMs?: number;
	/** The password and tokens of this session: scrubbed from anything that leaves. */
	secrets: string[];
	/** Why the run had stopped when the request failed, if it had. */
	stopReason?: StopReason;
	/** The request's method and path, e.g. `GET /scheduler/tasks/1c8d…/progress`. */
	route?: string;
}

const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/**
 * What the failed request behind an error said, carried by the error itself (a symbol-keyed,
 * non-enumerable property: it travels with the error and with each item's copy of it, and never
 * into n8n's saved run data).
 */
const FAILURE = Symbol.for('n8n-nodes-evergis.failure');

interface CarriedFailure {
	facts: FailureFacts;
	/** A task creation that EverGIS may have carried out although the request failed. */
	taskMayExist: boolean;
}

function carried(error: unknown): CarriedFailure | undefined {
	return typeof error === 'object' && error !== null
		? ((error as Record<symbol, CarriedFailure | undefined>)[FAILURE] ?? undefined)
		: undefined;
}

/** What the failed request behind an error from apiError said (status, network code, ...). */
export function failureOf(error: unknown): FailureFacts | undefined {
	return carried(error)?.facts;
}

/**
 * A tiling task may have been created although its request failed: it was sent, and then no
 * answer came back, or the server failed (5xx, not "busy") after receiving it. Not when the
 * failure was the login's: the request itself was answered 401 and not processed.
 */
function mayHaveCreatedTask(purpose: RequestPurpose, facts: FailureFacts): boolean {
	if (purpose.kind !== 'create' || facts.canceled || facts.login) return false;
	if (facts.status === undefined) return !wasNeverSent(facts);
	return facts.status >= 500 && !wasRefused(facts);
}

/** Whether this error is a task creation that EverGIS may have carried out all the same. */
export function taskMayExist(error: unknown): boolean {
	return carried(error)?.taskMayExist === true;
}

/** Whether a request that failed this way may well succeed if asked again later (5xx, 429, network). */
export function isTransientError(error: unknown): boolean {
	const facts = failureOf(error);
	return facts !== undefined && !facts.configuration && isRetryable('read', facts);
}

export function redact(text: string, secrets: string[]): string {
	let out = text.replace(JWT_SHAPE, '***');
	for (const secret of secrets) {
		if (secret && secret.length >= 4) out = out.split(secret).join('***');
	}
	return out.replace(/(Bearer|jwt=)\s*[^\s;,]+/gi, '$1***');
}

function retried(attempts: number): string {
	return attempts > 1 ? ` (tried ${attempts} times)` : '';
}

/**
 * Turns a failed request into the NodeApiError the user sees. The error object n8n threw is not
 * passed on (it holds the request and its Authorization header): only status, the server's
 * message and a hint that says what to do.
 */
export function apiError(
	node: INode,
	facts: FailureFacts,
	purpose: RequestPurpose,
	context: ErrorContext,
): NodeApiError {
	const { message, description } = explain(facts, purpose, context);
	const said = facts.status !== undefined ? serverMessage(facts.body) : undefined;
	const error = apiErrorOf(node, redact(message, context.secrets), {
		description: redact(description, context.secrets),
		httpCode: facts.status !== undefined ? String(facts.status) : undefined,
		itemIndex: purpose.itemIndex,
		serverMessage: said ? redact(said, context.secrets) : undefined,
	});
	const failure: CarriedFailure = {
		facts,
		taskMayExist: context.stopReason === undefined && mayHaveCreatedTask(purpose, facts),
	};
	Object.defineProperty(error, FAILURE, { value: failure, enumerable: false });
	return error;
}

interface Explanation {
	message: string;
	description: string;
}

/** What a message about an HTTP answer may use. */
interface Answer {
	status: number;
	action: string;
	/** ": <the server's words>", or ''. */
	saying: string;
	/** " (tried 3 times)", or ''. */
	again: string;
	purpose: RequestPurpose;
	context: ErrorContext;
}

const busy = ({ status, action, again }: Answer): Explanation => ({
	message: `EverGIS stayed busy (HTTP ${status}) while ${action}${again}`,
	description:
		'The server was serving as many requests as it takes at once, for all its users (EverGIS answers 419 past its maximumActiveRequests), ' +
		'so the node sent fewer requests and waited before each new try, for several minutes. Run the workflow when the server is less busy, ' +
		'or ask the EverGIS administrator to raise maximumActiveRequests.',
});

/** The message for each HTTP status that means something of its own. */
const BY_STATUS: Record<number, (answer: Answer) => Explanation> = {
	400: ({ action, saying, purpose }) => ({
		message: `EverGIS refused the request while ${action} (HTTP 400)${saying}`,
		description:
			purpose.badRequestHint ?? 'Check the node parameters against what EverGIS expects.',
	}),
	401: ({ action, saying }) => ({
		message: `EverGIS denied access while ${action} (HTTP 401)${saying}`,
		description:
			'n8n logged in again and resent the request, and EverGIS still did not accept the token. Check the EverGIS API credentials (Test them), and that Host is the API of the server that issues the token.',
	}),
	403: ({ action, saying, context }) => ({
		message: `EverGIS denied ${context.username ? `user '${context.username}'` : 'the user'} access (HTTP 403) while ${action}${saying}`,
		description:
			'The user of the EverGIS API credentials lacks the right (a catalog or task of another user, or a role the server requires). ' +
			'Ask the owner or the EverGIS administrator for the right, or use credentials of a user who has it. Logging in again would not change this, so n8n did not.',
	}),
	404: ({ action, saying, purpose, context }) =>
		purpose.notFound ?? {
			message: `EverGIS has no such resource (HTTP 404) while ${action}${saying}`,
			description: `Check the name or ID, and that Host (${context.host}) includes the API prefix such as /sp.`,
		},
	409: ({ action, saying }) => ({
		message: `EverGIS reported a conflict (HTTP 409) while ${action}${saying}`,
		description: 'Something of the same name already exists on the server.',
	}),
	413: ({ action }) => ({
		message: `The file is too large for the server (HTTP 413) while ${action}`,
		description:
			'A proxy in front of EverGIS (e.g. nginx client_max_body_size) or EverGIS itself limits the upload size. Raise that limit, or split the raster.',
	}),
	419: busy,
	429: busy,
	503: ({ status, action, again, saying }) => ({
		message: `EverGIS was unavailable (HTTP ${status}) while ${action}${again}${saying}`,
		description:
			'The server, or a proxy in front of it, said the service is unavailable (overloaded, or its upstream is down). ' +
			'The node sent fewer requests and tried again for about half a minute. If it persists, ask the EverGIS administrator.',
	}),
};

const mayHaveCreated = (what: string): string =>
	`${what}, so the node did not send it again (that could create a second task). ` +
	'Check in EverGIS whether the task exists before running this item again.';

function explain(facts: FailureFacts, purpose: RequestPurpose, context: ErrorContext): Explanation {
	const { action } = purpose;
	const status = facts.status;
	const again = retried(context.attempts);
	if (facts.configuration) return facts.configuration;
	// The login failed for a passing reason (the request itself was not processed): say so.
	if (facts.login && !context.stopReason && !facts.canceled) {
		return {
			message: `${facts.login.message} while ${action}${again}`,
			description: facts.login.description,
		};
	}
	if (context.stopReason === 'canceled' || (facts.canceled && !context.stopReason)) {
		return { message: `Stopped while ${action}: the execution was canceled`, description: '' };
	}
	if (context.stopReason === 'itemFailed') {
		return {
			message: `Stopped while ${action}: another item of this execution failed`,
			description: '',
		};
	}
	if (context.stopReason === 'outOfTime') {
		return {
			message: `Stopped while ${action}: the poll's time ran out`,
			description: 'The next poll asks again.',
		};
	}
	if (facts.deadlinePassed) {
		return {
			message: `Not sent while ${action}: its time ran out before its turn came`,
			description:
				'The execution had as many requests on their way to EverGIS as it sends at once, and they took long.',
		};
	}
	if (status === undefined) {
		const unreachable = describeUnreachable(facts, context.host, context.timeoutMs);
		if (mayHaveCreatedTask(purpose, facts)) {
			return {
				message: `EverGIS may have created the task: ${unreachable.message} while ${action}`,
				description: mayHaveCreated('The request was sent but no answer came back'),
			};
		}
		return {
			message: `Could not reach EverGIS while ${action}: ${unreachable.message}${again}`,
			description: unreachable.description,
		};
	}
	const said = serverMessage(facts.body);
	const answer: Answer = {
		status,
		action,
		saying: said ? `: ${said}` : '',
		again,
		purpose,
		context,
	};
	if (status === 413) return BY_STATUS[413](answer);
	if (isRouteError(facts)) {
		const page = isHtmlAnswer(facts.headers, facts.body)
			? "the web server's page"
			: 'no EverGIS answer';
		return {
			message: `EverGIS at ${context.host} does not serve ${context.route ?? 'this request'} (HTTP ${status}, ${page}) while ${action}`,
			description:
				`Host (${context.host}) answers, but not this request: it points at another service, or the server speaks another version of the EverGIS API ` +
				'than the EverGIS docs this package follows (docs/evergis-api.md lists every path it uses). Check Host and its API prefix, e.g. https://evergis.ru/sp.',
		};
	}
	if (isHtmlAnswer(facts.headers, facts.body)) {
		return {
			message: `EverGIS answered with an HTML page instead of JSON (HTTP ${status}) while ${action}${again}`,
			description:
				'A proxy or gateway answered instead of the EverGIS API, or Host points at the web client rather than the API. ' +
				`Check Host in the credentials (${context.host}) and that the API is up.`,
		};
	}
	const known = BY_STATUS[status];
	if (known) return known(answer);
	if (mayHaveCreatedTask(purpose, facts)) {
		return {
			message: `EverGIS may have created the task: it answered HTTP ${status} while ${action}${answer.saying}`,
			description: mayHaveCreated('The server failed after it received the request'),
		};
	}
	if (status >= 500) {
		return {
			message: `EverGIS failed while ${action} (HTTP ${status})${again}${answer.saying}`,
			description:
				'The server or a proxy in front of it is failing. Try again later; if it persists, ask the EverGIS administrator.',
		};
	}
	return {
		message: `EverGIS answered HTTP ${status} while ${action}${answer.saying}`,
		description: 'Check the node parameters and the credentials.',
	};
}
