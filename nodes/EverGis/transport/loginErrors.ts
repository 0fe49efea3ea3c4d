import { UserError } from 'n8n-workflow';

/**
 * The two kinds of failed login, and how a request that needed the login recognises them:
 * - a **configuration** failure is in what the user set (wrong password, a Host that is not the
 *   API, a certificate Node does not trust): asking again cannot help, so it is reported at once
 *   (a trigger's activation fails with it, so the user who activates sees it);
 * - a **passing** failure is the server's or the network's (5xx, a proxy's error page, busy, no
 *   connection, no answer in time, a host name that does not resolve: a typo in Host and a DNS
 *   that does not answer yet look the same, login.ts): the request is tried again later, and a
 *   trigger keeps polling.
 *
 * n8n runs the login (the credentials' preAuthentication) and wraps what it throws in a
 * NodeApiError. n8n-workflow 2.34 and later keep the thrown error as its `cause`, tagged here. Older
 * releases (n8n 1.x to 2.33) drop the cause and keep only its message (also in `messages`, when n8n
 * rewrote a message that contains an error code) and its description; so every login message starts
 * with one of the openings below, which no other message of the package uses.
 */
export type LoginFailureKind = 'configuration' | 'passing';

const TAG = 'evergis';

const CONFIGURATION_OPENINGS = [
	'The EverGIS credentials have no username or password',
	'The EverGIS Host ',
	'EverGIS rejected the login for ',
	'EverGIS login for ',
	'No EverGIS API answers at ',
	'EverGIS could not log in for ',
	'EverGIS accepted the login for ',
	'Could not log in to EverGIS at ',
	'The EverGIS API at ',
];
const PASSING_OPENINGS = ['EverGIS could not serve the login for ', 'Could not reach EverGIS at '];

/** An error in what the user configured (Host, Username, Password). */
export function configurationError(message: string, description: string): UserError {
	return new UserError(message, { description, tags: { [TAG]: 'configuration' } });
}

/**
 * A login the server or the network could not serve now. It carries the answer's status as
 * `httpCode` and the server's Retry-After, so that the request that needed the login is tried again
 * by the retry policy. Nothing else: not the answer's body (it may echo the password), and no
 * `response` or `code` (n8n's credential Test shows those instead of the message).
 */
export function passingLoginFailure(
	message: string,
	description: string,
	answer: { status?: number; retryAfter?: unknown } = {},
): UserError {
	return Object.assign(new UserError(message, { description, tags: { [TAG]: 'passing' } }), {
		...(answer.status !== undefined ? { httpCode: String(answer.status) } : {}),
		...(answer.retryAfter !== undefined ? { retryAfter: answer.retryAfter } : {}),
	});
}

export interface LoginFailure {
	kind: LoginFailureKind;
	message: string;
	description: string;
}

/** What kind of login failure this error is (tagged, or recognised by its message), if it is one. */
export function loginFailureOf(error: unknown): LoginFailure | undefined {
	if (!(error instanceof Error)) return undefined;
	const { description, messages, tags } = error as Error & {
		description?: unknown;
		messages?: unknown;
		tags?: Record<string, unknown>;
	};
	if (typeof description !== 'string') return undefined;
	const tagged = tags?.[TAG];
	if (error instanceof UserError && (tagged === 'configuration' || tagged === 'passing')) {
		return { kind: tagged, message: error.message, description };
	}
	for (const message of [error.message, ...(Array.isArray(messages) ? messages : [])]) {
		if (typeof message !== 'string') continue;
		if (CONFIGURATION_OPENINGS.some((opening) => message.startsWith(opening))) {
			return { kind: 'configuration', message, description };
		}
		if (PASSING_OPENINGS.some((opening) => message.startsWith(opening))) {
			return { kind: 'passing', message, description };
		}
	}
	return undefined;
}

/** The HTTP status a passing login failure's message names, e.g. "(HTTP 502)". */
export function statusInMessage(message: string): number | undefined {
	const match = /\(HTTP (\d{3})\b/.exec(message);
	return match ? Number(match[1]) : undefined;
}
