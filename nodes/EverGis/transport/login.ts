import { createHash } from 'crypto';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IHttpRequestHelper,
	IN8nHttpFullResponse,
} from 'n8n-workflow';

import { redact } from './errors';
import {
	describeUnreachable,
	factsOf,
	isCertificateCode,
	isHtmlAnswer,
	serverMessage,
} from './failure';
import {
	NEWER_API_PROBE_PATH,
	newerApiMessage,
	newerApiVerdict,
	speaksNewerApi,
} from './generation';
import { normalizeHost } from './host';
import { configurationError, passingLoginFailure } from './loginErrors';

const LOGIN_TIMEOUT_MS = 30_000;

export interface LoginCredentials {
	host: string;
	username: string;
	password: string;
	ignoreSslIssues?: boolean;
	/**
	 * Also ask, once per host and process, whether the host speaks the newer API generation
	 * (generation.ts), and refuse the login if it does: the credentials' first login (a new
	 * credential, or one whose Host, user or password changed), which is what the credentials' Test
	 * runs.
	 */
	askApiGeneration?: boolean;
}

/**
 * Logs in as the EverGIS docs describe (`POST {host}/account/login`) and returns the JWT.
 * Used only by the credentials' preAuthentication: n8n calls it when the stored token is empty
 * or a request answered 401, and stores what it returns in the hidden `token` field.
 * Every error it throws names the user and host but never the password or a token.
 */
export async function logIn(helpers: IHttpRequestHelper['helpers'], credentials: LoginCredentials) {
	const host = normalizeHost(credentials.host);
	const username = String(credentials.username ?? '').trim();
	if (username === '' || !credentials.password) {
		throw configurationError(
			'The EverGIS credentials have no username or password',
			'Fill in Username and Password in the EverGIS API credentials.',
		);
	}
	// preAuthentication runs without a node, so there is no NodeApiError to build here. The error
	// object of a failed request carries the request, the password included, so only its facts
	// leave this function.
	let response: IN8nHttpFullResponse | undefined;
	let failure: unknown;
	try {
		response = (await helpers.httpRequest({
			method: 'POST',
			url: `${host}/account/login`,
			body: { username, password: credentials.password },
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			disableFollowRedirect: true,
			skipSslCertificateValidation: credentials.ignoreSslIssues === true,
			timeout: LOGIN_TIMEOUT_MS,
		})) as IN8nHttpFullResponse;
	} catch (error) {
		failure = error;
	}
	if (response === undefined) {
		const facts = factsOf(failure);
		const { message, description } = describeUnreachable(facts, host, LOGIN_TIMEOUT_MS);
		// A certificate Node does not trust is a setting to fix.
		if (isCertificateCode(facts.code)) {
			throw configurationError(`Could not log in to EverGIS at ${host}: ${message}`, description);
		}
		// A name that does not resolve (ENOTFOUND) may be a typo in Host, or a DNS that does not answer
		// for it yet (n8n starting before the network's DNS, a VPN not up): the resolver says the same
		// for both, so it is passing, as EAI_AGAIN is. A trigger that n8n activates meanwhile stays
		// active and heals when the name resolves (n8n 2.x turns a trigger whose activation fails off
		// for good); the message still names the typo, and the credentials' Test shows it at once.
		const hint = facts.code === 'ENOTFOUND' ? '; check Host for a typo' : '';
		throw passingLoginFailure(
			`Could not reach EverGIS at ${host} to log in: ${message}${hint}`,
			description,
		);
	}
	const token = tokenFromLoginAnswer(response, host, username, credentials.password);
	if (credentials.askApiGeneration) {
		const newer = await speaksNewerApi(host, async () =>
			newerApiVerdictWith(helpers, host, token, credentials.ignoreSslIssues === true),
		);
		if (newer) {
			const { message, description } = newerApiMessage(host);
			throw configurationError(message, description);
		}
	}
	return token;
}

/** Asks the newer API's own request with the token just issued (generation.ts). */
async function newerApiVerdictWith(
	helpers: IHttpRequestHelper['helpers'],
	host: string,
	token: string,
	ignoreSslIssues: boolean,
): Promise<boolean | undefined> {
	const response = (await helpers.httpRequest({
		method: 'GET',
		url: `${host}${NEWER_API_PROBE_PATH}`,
		headers: {
			Accept: 'application/json',
			Authorization: `Bearer ${token}`,
			Cookie: `jwt=${token}`,
		},
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		disableFollowRedirect: true,
		skipSslCertificateValidation: ignoreSslIssues,
		timeout: LOGIN_TIMEOUT_MS,
	})) as IN8nHttpFullResponse;
	return newerApiVerdict(response.statusCode, response.body);
}

/**
 * Which login a token belongs to: a digest of the Host, the username and the password it was
 * issued for, kept beside the token. A token is only sent while they still match, so editing the
 * credentials (another Host, another password) never sends the old token to the new Host, and a
 * changed password is checked by a fresh login instead of riding on the old token. An empty string
 * when the Host is not valid (nothing may be sent then).
 */
export function loginScope(credentials: ICredentialDataDecryptedObject): string {
	let host: string;
	try {
		host = normalizeHost(credentials.host);
	} catch {
		return '';
	}
	const username = String(credentials.username ?? '').trim();
	return createHash('sha256')
		.update(`${host}\n${username}\n${String(credentials.password ?? '')}`)
		.digest('hex')
		.slice(0, 32);
}

/** The token to send, if it was issued for these very credentials; '' otherwise. */
export function tokenFor(credentials: ICredentialDataDecryptedObject): string {
	const token = typeof credentials.token === 'string' ? credentials.token : '';
	const scope = loginScope(credentials);
	return token !== '' && scope !== '' && credentials.issuedFor === scope ? token : '';
}

/** Reads the JWT from the login answer: the JSON `token`, or the `jwt` cookie when the body lacks it. */
export function tokenFromLoginAnswer(
	response: IN8nHttpFullResponse,
	host: string,
	username: string,
	password = '',
): string {
	const status = response.statusCode;
	const where = `for '${username}' at ${host}`;
	const html = isHtmlAnswer(response.headers, response.body);
	// The status first: a proxy's HTML page with 502 is a passing failure, not a wrong Host.
	if (status >= 500 || status === 429 || status === 419) {
		// The server may echo the request: keep the password out of the message.
		const echoed = html ? undefined : serverMessage(response.body);
		const said = echoed === undefined ? '' : `: ${redact(echoed, [password])}`;
		const page = html ? ', an HTML page: a proxy or gateway answered' : '';
		throw passingLoginFailure(
			`EverGIS could not serve the login ${where} now (HTTP ${status}${page}${said})`,
			status >= 500 && status !== 503
				? 'The EverGIS server, or a proxy in front of it, is failing. The node tries again; a trigger asks again at its next poll.'
				: 'EverGIS is busy (more requests than it serves at once). The node tries again after a pause.',
			{
				status,
				retryAfter:
					response.headers && typeof response.headers === 'object'
						? (response.headers as IDataObject)['retry-after']
						: undefined,
			},
		);
	}
	if (status === 401 || status === 403) {
		throw configurationError(
			`EverGIS rejected the login ${where} (HTTP ${status})`,
			'Check Username and Password in the EverGIS API credentials.',
		);
	}
	if (html) {
		throw configurationError(
			`EverGIS login ${where} answered with an HTML page (HTTP ${status}), not the EverGIS API`,
			'Host must be the base URL of the API, including its prefix (e.g. https://evergis.ru/sp), ' +
				'not the address of the web client or of a proxy error page.',
		);
	}
	if (status === 404 || status === 405) {
		throw configurationError(
			`No EverGIS API answers at ${host}/account/login (HTTP ${status})`,
			'Check that Host includes the API prefix, e.g. https://evergis.ru/sp rather than https://evergis.ru.',
		);
	}
	if (status < 200 || status >= 300) {
		const echoed = serverMessage(response.body);
		const said = echoed === undefined ? undefined : redact(echoed, [password]);
		throw configurationError(
			`EverGIS could not log in ${where} (HTTP ${status}${said ? `: ${said}` : ''})`,
			'Check Host, Username and Password in the EverGIS API credentials.',
		);
	}
	const body = response.body as IDataObject | undefined;
	if (body && typeof body === 'object' && typeof body.token === 'string' && body.token !== '') {
		return body.token;
	}
	const cookie = jwtFromSetCookie(response.headers?.['set-cookie']);
	if (cookie) return cookie;
	throw configurationError(
		`EverGIS accepted the login ${where} but sent no token`,
		"The answer had neither a 'token' field nor a 'jwt' cookie. Check that Host points at the EverGIS API.",
	);
}

function jwtFromSetCookie(header: unknown): string | undefined {
	const lines = Array.isArray(header) ? header : typeof header === 'string' ? [header] : [];
	for (const line of lines) {
		const match = /^\s*jwt=([^;]+)/.exec(String(line));
		if (match && match[1] !== '') return decodeURIComponent(match[1]);
	}
	return undefined;
}
