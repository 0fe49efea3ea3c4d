import type { IDataObject } from 'n8n-workflow';

import { errorText } from '../shared/errorText';
import type { LoginFailure } from './loginErrors';
import { loginFailureOf, statusInMessage } from './loginErrors';

/**
 * What a failed request tells us, dug out of whatever n8n threw (a NodeApiError around an axios
 * error, a bare axios error, a Node system error). Only these facts travel on: never the request,
 * whose headers hold the token and whose login body holds the password.
 */
export interface FailureFacts {
	/** HTTP status when the server (or a proxy) answered. */
	status?: number;
	/** Network error code, e.g. ECONNRESET, ECONNREFUSED, ENOTFOUND, ETIMEDOUT. */
	code?: string;
	body?: unknown;
	headers?: IDataObject;
	/** The server's Retry-After, in milliseconds. */
	retryAfterMs?: number;
	timedOut: boolean;
	canceled: boolean;
	/** Not sent: its deadline (a wait's Timeout) came before its turn (requestLimit.ts DeadlinePassed). */
	deadlinePassed?: boolean;
	/**
	 * Logging in failed, so the request never got its own answer (n8n logs in before a request when
	 * it holds no token, and after a 401): the request was not processed.
	 */
	login?: LoginFailure;
	/** Logging in failed because of what the user configured (wrong password, bad Host, ...). */
	configuration?: { message: string; description: string };
}

interface ErrorLike {
	name?: unknown;
	message?: unknown;
	code?: unknown;
	httpCode?: unknown;
	cause?: unknown;
	/** A passing login failure's Retry-After (loginErrors.ts). */
	retryAfter?: unknown;
	response?: { status?: unknown; data?: unknown; body?: unknown; headers?: unknown };
	context?: { data?: unknown };
}

function chainOf(error: unknown): ErrorLike[] {
	const chain: ErrorLike[] = [];
	let current: unknown = error;
	while (current && typeof current === 'object' && chain.length < 6) {
		chain.push(current as ErrorLike);
		current = (current as ErrorLike).cause;
	}
	return chain;
}

export function factsOf(error: unknown): FailureFacts {
	const facts: FailureFacts = { timedOut: false, canceled: false };
	/** The status a passing login failure names in its message (when n8n dropped the answer). */
	let loginStatus: number | undefined;
	let loginRetryAfter: unknown;
	for (const link of chainOf(error)) {
		const response = link.response;
		if (facts.status === undefined && response && typeof response === 'object') {
			const status = Number(response.status);
			if (Number.isInteger(status) && status > 0) {
				facts.status = status;
				facts.body = response.data ?? response.body;
				facts.headers = (response.headers ?? {}) as IDataObject;
			}
		}
		if (
			facts.code === undefined &&
			typeof link.code === 'string' &&
			/^[A-Z][A-Z0-9_]{2,}$/.test(link.code)
		) {
			facts.code = link.code;
		}
		const login = facts.login ? undefined : loginFailureOf(link);
		if (login) {
			facts.login = login;
			if (login.kind === 'configuration') {
				facts.configuration = { message: login.message, description: login.description };
			} else {
				loginStatus = statusInMessage(login.message);
				loginRetryAfter = link.retryAfter;
			}
		}
		const name = typeof link.name === 'string' ? link.name : '';
		const message = typeof link.message === 'string' ? link.message : '';
		if (
			name === 'AbortError' ||
			name === 'CanceledError' ||
			name === 'HaltedError' ||
			link.code === 'ERR_CANCELED'
		) {
			facts.canceled = true;
		}
		if (name === 'DeadlinePassed') facts.deadlinePassed = true;
		if (
			link.code === 'ECONNABORTED' ||
			link.code === 'ETIMEDOUT' ||
			/^timeout of \d+ms exceeded/.test(message)
		) {
			facts.timedOut = true;
		}
	}
	if (facts.status === undefined) {
		for (const link of chainOf(error)) {
			const status = Number(link.httpCode);
			if (Number.isInteger(status) && status >= 100) {
				facts.status = status;
				// n8n before 2.34 drops the axios error from the NodeApiError (see loginErrors.ts);
				// its JSON body stays in the NodeApiError's context.data (headers and text bodies do not).
				const data = link.context?.data;
				if (data && typeof data === 'object' && !Array.isArray(data)) facts.body = data;
				break;
			}
		}
	}
	facts.status ??= loginStatus;
	facts.retryAfterMs = parseRetryAfter(facts.headers?.['retry-after'] ?? loginRetryAfter);
	return facts;
}

export function parseRetryAfter(value: unknown): number | undefined {
	if (typeof value !== 'string' && typeof value !== 'number') return undefined;
	if (String(value).trim() === '') return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
	const date = Date.parse(String(value));
	return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export function isHtmlAnswer(headers: unknown, body: unknown): boolean {
	const contentType =
		headers && typeof headers === 'object'
			? String((headers as IDataObject)['content-type'] ?? '')
			: '';
	if (/text\/html/i.test(contentType)) return true;
	return typeof body === 'string' && /^\s*<(!doctype|html|head|body|\?xml)/i.test(body);
}

/** The server's own words, from the error shapes EverGIS and its proxies use; short and single-line. */
export function serverMessage(body: unknown): string | undefined {
	const text = typeof body === 'string' && isHtmlAnswer({}, body) ? undefined : errorText(body);
	if (text === undefined) return undefined;
	const line = text.replace(/\s+/g, ' ').trim();
	if (line === '') return undefined;
	return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/**
 * Whether a failed request was answered "this server has no such route", rather than by EverGIS
 * saying that the task or catalog asked for does not exist: the one place this rule lives.
 * - 405: the method is not served at this path (ASP.NET answers it, empty, for a path it serves
 *   with other methods). No page of the docs gives it another meaning.
 * - 404 whose body is not a JSON object: the web server's own page (nginx's HTML) or ASP.NET's
 *   empty 404 for a path no controller serves. EverGIS's own 404 ("no such task") comes from a
 *   controller, with a JSON body (the spec's ErrorDetailsDc, or ASP.NET's problem details).
 * n8n before 2.34 keeps only a JSON body of a failed request (transport/failure.ts factsOf): an
 * HTML or empty body is then no body at all, which this rule reads the same way.
 */
export function isRouteError(facts: FailureFacts | undefined): boolean {
	if (facts?.status === 405) return true;
	if (facts?.status !== 404) return false;
	const body = facts.body;
	return !(body !== null && typeof body === 'object' && !Array.isArray(body));
}

const NETWORK_WORDS: Record<string, string> = {
	ENOTFOUND: 'the host name could not be resolved (DNS)',
	EAI_AGAIN: 'the host name could not be resolved right now (DNS)',
	ECONNREFUSED: 'nothing accepts connections there (connection refused)',
	ECONNRESET: 'the connection was reset',
	EPIPE: 'the connection was closed while sending',
	EHOSTUNREACH: 'the host is unreachable',
	ENETUNREACH: 'the network is unreachable',
};

/**
 * TLS codes that mean "the certificate may be fine, but n8n does not trust who issued it": a
 * company CA, the Russian Trusted Root CA, a self-signed certificate. Giving n8n's process that CA
 * (NODE_EXTRA_CA_CERTS) is the answer. UNABLE_TO_GET_ISSUER_CERT_LOCALLY is what a server whose
 * chain ends in an unknown root gives; UNABLE_TO_VERIFY_LEAF_SIGNATURE, one that sends no chain.
 */
const UNTRUSTED_ISSUER: Record<string, string> = {
	UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		'its TLS certificate is issued by a certificate authority that n8n does not trust',
	UNABLE_TO_GET_ISSUER_CERT:
		'its TLS certificate is issued by a certificate authority that n8n does not trust',
	UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		'its TLS certificate cannot be verified: n8n does not trust its issuer',
	SELF_SIGNED_CERT_IN_CHAIN:
		'its TLS certificate chain ends in a certificate authority that n8n does not trust',
	DEPTH_ZERO_SELF_SIGNED_CERT: 'it uses a self-signed TLS certificate that n8n does not trust',
	CERT_UNTRUSTED: 'its TLS certificate is not trusted',
};

/**
 * TLS codes that mean the certificate itself is wrong for this connection: another CA will not
 * help; the server's administrator (or Host) must change. The rest of Node's X.509 codes (bad
 * signatures, CRLs, chains, purposes) come under "rejected".
 */
const BAD_CERTIFICATE: Record<string, string> = {
	CERT_HAS_EXPIRED: 'its TLS certificate has expired',
	CERT_NOT_YET_VALID: 'its TLS certificate is not valid yet (check the clock of the n8n server)',
	ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host name',
	HOSTNAME_MISMATCH: 'its TLS certificate is for another host name',
	CERT_REVOKED: 'its TLS certificate has been revoked',
};

/** Every certificate code Node gives (its X.509 verification codes, and the host name check). */
export function isCertificateCode(code: string | undefined): code is string {
	if (code === undefined) return false;
	return (
		code in UNTRUSTED_ISSUER ||
		code in BAD_CERTIFICATE ||
		/CERT|SELF_SIGNED|SIGNATURE|CRL|ISSUER|INVALID_CA|PATH_LENGTH_EXCEEDED|INVALID_PURPOSE/.test(
			code,
		)
	);
}

const TRUST_THE_CA =
	"Give n8n's process the certificate authority: save its certificate (PEM) on the n8n server and start n8n " +
	'with NODE_EXTRA_CA_CERTS=/path/to/ca.pem in its environment (the main process and every worker). ' +
	"Or, if you trust this server, turn on 'Ignore SSL Issues' in the credentials.";

/** A sentence for a request that got no HTTP answer at all. */
export function describeUnreachable(
	facts: FailureFacts,
	host: string,
	timeoutMs?: number,
): { message: string; description: string } {
	const code = facts.code;
	if (facts.timedOut) {
		return {
			message: `no answer within ${Math.round((timeoutMs ?? 0) / 1000)} s`,
			description: `Check that ${host} is reachable from the n8n server (proxy, firewall) and that EverGIS is up.`,
		};
	}
	if (isCertificateCode(code)) {
		// The hint is in the message too: the credentials' Test shows the message alone.
		if (code in BAD_CERTIFICATE) {
			return {
				message: `${BAD_CERTIFICATE[code]} (${code})`,
				description:
					`The certificate of ${host} must be fixed on the server (renewed, or issued for the name in Host); ` +
					"another certificate authority will not help. 'Ignore SSL Issues' in the credentials connects without verifying it.",
			};
		}
		if (code in UNTRUSTED_ISSUER) {
			return {
				message: `${UNTRUSTED_ISSUER[code]} (${code}): give n8n the CA with NODE_EXTRA_CA_CERTS`,
				description: TRUST_THE_CA,
			};
		}
		return {
			message: `its TLS certificate was rejected (${code})`,
			description:
				`Ask the administrator of ${host} to check its certificate. If a certificate authority n8n does not know issued it: ` +
				TRUST_THE_CA,
		};
	}
	return {
		message: code ? (NETWORK_WORDS[code] ?? 'the connection failed') : 'the connection failed',
		description: `Check Host in the EverGIS API credentials (${host}) and that the n8n server can reach it.${code ? ` (${code})` : ''}`,
	};
}
