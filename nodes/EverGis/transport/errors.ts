import type { INode, NodeApiError } from 'n8n-workflow';

import { apiErrorOf } from '../shared/nodeErrors';

import type { FailureFacts } from './failure';
import { describeUnreachable, isHtmlAnswer, serverMessage } from './failure';
import type { RequestKind } from './retry';
import { isRetryable, wasNeverSent } from './retry';

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
	attempts: number;
	timeoutMs?: number;
	/** The password and tokens of this session: scrubbed from anything that leaves. */
	secrets: string[];
}

const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

const failures = new WeakMap<object, FailureFacts>();

/** What the failed request behind an error from apiError said (status, network code, ...). */
export function failureOf(error: unknown): FailureFacts | undefined {
	return typeof error === 'object' && error !== null ? failures.get(error) : undefined;
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
	failures.set(error, facts);
	return error;
}

function explain(
	facts: FailureFacts,
	purpose: RequestPurpose,
	context: ErrorContext,
): { message: string; description: string } {
	const { action } = purpose;
	const status = facts.status;
	const again = retried(context.attempts);
	if (facts.configuration) return facts.configuration;
	if (facts.canceled) {
		return { message: `Stopped while ${action}: the execution was canceled`, description: '' };
	}
	if (status === undefined) {
		const unreachable = describeUnreachable(facts, context.host, context.timeoutMs);
		if (purpose.kind === 'create' && !wasNeverSent(facts)) {
			return {
				message: `EverGIS may have created the task: ${unreachable.message} while ${action}`,
				description:
					'The request was sent but no answer came back, so the node did not send it again (that could create a second task). ' +
					'Check in EverGIS whether the task exists before running this item again.',
			};
		}
		return {
			message: `Could not reach EverGIS while ${action}: ${unreachable.message}${again}`,
			description: unreachable.description,
		};
	}
	const said = serverMessage(facts.body);
	const saying = said ? `: ${said}` : '';
	if (status === 413) {
		return {
			message: `The file is too large for the server (HTTP 413) while ${action}`,
			description:
				'A proxy in front of EverGIS (e.g. nginx client_max_body_size) or EverGIS itself limits the upload size. Raise that limit, or split the raster.',
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
	if (status === 404 && purpose.notFound) return purpose.notFound;
	if (status === 400) {
		return {
			message: `EverGIS refused the request while ${action} (HTTP 400)${saying}`,
			description:
				purpose.badRequestHint ?? 'Check the node parameters against what EverGIS expects.',
		};
	}
	if (status === 401 || status === 403) {
		return {
			message: `EverGIS denied access while ${action} (HTTP ${status})${saying}`,
			description:
				'n8n logged in again and resent the request, and EverGIS still refused it. Check that the user in the EverGIS API credentials may do this (owner of the catalog or task, rights on the server).',
		};
	}
	if (status === 404) {
		return {
			message: `EverGIS has no such resource (HTTP 404) while ${action}${saying}`,
			description: `Check the name or ID, and that Host (${context.host}) includes the API prefix such as /sp.`,
		};
	}
	if (status === 409) {
		return {
			message: `EverGIS reported a conflict (HTTP 409) while ${action}${saying}`,
			description: 'Something of the same name already exists on the server.',
		};
	}
	if (status === 419 || status === 429) {
		return {
			message: `EverGIS is limiting requests (HTTP ${status}) while ${action}${again}`,
			description:
				'Lower Concurrency in the node options, or run the workflow when the server is less busy.',
		};
	}
	if (status >= 500 && purpose.kind === 'create' && status !== 503) {
		return {
			message: `EverGIS may have created the task: it answered HTTP ${status} while ${action}${saying}`,
			description:
				'The server failed after it received the request, so the node did not send it again (that could create a second task). ' +
				'Check in EverGIS whether the task exists before running this item again.',
		};
	}
	if (status >= 500) {
		return {
			message: `EverGIS failed while ${action} (HTTP ${status})${again}${saying}`,
			description:
				'The server or a proxy in front of it is failing. Try again later; if it persists, ask the EverGIS administrator.',
		};
	}
	return {
		message: `EverGIS answered HTTP ${status} while ${action}${saying}`,
		description: 'Check the node parameters and the credentials.',
	};
}
