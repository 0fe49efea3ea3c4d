import type {
	IDataObject,
	IHttpRequestMethods,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
} from 'n8n-workflow';

import { jwtExpiresAt, renewalMarginMs } from '../model/jwt';
import { asNodeError } from '../shared/nodeErrors';
import { pause, whenAborted } from '../shared/pause';
import type { RequestPurpose } from './errors';
import { apiError } from './errors';
import { factsOf, isHtmlAnswer, isRouteError } from './failure';
import { refuseNewerApi } from './generation';
import { normalizeHost } from './host';
import { tokenFor } from './login';
import { DeadlinePassed } from './requestLimit';
import type { RequestKind } from './retry';
import { withRetries } from './retry';
import type { EverGisFunctions, EverGisRun, Session } from './run';

export type { EverGisFunctions, EverGisRun };

export const CREDENTIAL_TYPE = 'everGisApi';

const READ_TIMEOUT_MS = 60_000;

export interface EverGisRequest extends RequestPurpose {
	method: IHttpRequestMethods;
	/** Appended to the Host of the credentials, e.g. `/scheduler/tasks`. */
	path: string;
	qs?: IDataObject;
	/**
	 * A JSON body, or a factory that makes a fresh multipart body for every attempt. The signal
	 * aborts when the execution stops: a body streamed from a file stops being read.
	 */
	body?: IDataObject | ((stopSignal: AbortSignal) => FormData);
	/** Per-attempt timeout; 60 s unless given (uploads give one that grows with the file). */
	timeoutMs?: number;
	/**
	 * When the request must be over (Date.now() ms), e.g. a wait's Timeout: it stops waiting for its
	 * turn then, and is sent with at most the time left. A run's own deadline (a poll's) holds too.
	 */
	deadline?: number;
	/** 1 = no retries (the caller's own loop retries, e.g. the wait loop). */
	maxAttempts?: number;
	/** Runs after each attempt, whatever its outcome (an upload closes what it opened). */
	afterAttempt?: () => void;
	/** Can go out a moment later (a progress request of the wait): other requests go first. */
	background?: boolean;
	/** Another documented path is tried if this one is not served (readings.ts): its route error is the caller's. */
	anotherPathFollows?: boolean;
}

/**
 * The one function that talks to EverGIS. It knows the base URL and the credential, keeps the
 * token fresh for a batch of concurrent requests, sends each attempt within the run's request
 * limit, applies the retry policy and turns failures into errors that say what happened.
 * Every other module calls this.
 */
export async function everGisRequest<T>(run: EverGisRun, request: EverGisRequest): Promise<T> {
	return await send<T>(run, await sessionOf(run), request);
}

/** The EverGIS Host of the run's credentials, normalized (what every path is appended to). */
export async function hostOf(run: EverGisRun): Promise<string> {
	return (await sessionOf(run)).host;
}

/** The run's login state: who, and whose secrets to scrub; read from the credentials once per run. */
async function sessionOf(run: EverGisRun): Promise<Session> {
	run.session ??= (async () => {
		const credentials = await run.context.getCredentials(CREDENTIAL_TYPE);
		return {
			host: normalizeHost(credentials.host),
			username: String(credentials.username ?? '').trim(),
			secrets: new Set([credentials.password, credentials.token].map(String).filter(Boolean)),
			validUntil: 0,
		};
	})();
	try {
		return await run.session;
	} catch (error) {
		run.session = undefined;
		throw asNodeError(run.context, error);
	}
}

/**
 * Logging in is n8n's job: when a request answers 401, n8n runs the credentials'
 * preAuthentication (the login), stores the new token in the credentials and resends the request
 * once. A node cannot store a token itself. So when many requests are about to go out at once (a
 * batch of uploads, a poll over many tasks) and the stored token is missing or at its `exp`, each
 * of them would get a 401 and log in. Instead, one cheap request (the user's own account) goes
 * first: it takes the 401, n8n logs in and stores the token, and the others, which waited for it,
 * then go out with that token. A token in its last moments is first let run out: a check that
 * passed on it would send the batch out with a token that dies in flight. The check is made when
 * a request's turn comes (it may have waited for a slot of the request limit meanwhile); the probe
 * itself does not wait for a slot, so that the requests holding one cannot hold it up.
 */
async function keepTokenFresh(
	run: EverGisRun,
	session: Session,
	maxAttempts?: number,
): Promise<void> {
	if (Date.now() < session.validUntil) return;
	// A wrong password stays wrong: one attempt per run, not one per item (and no lockout). A run is
	// one execution or one poll, so a password fixed meanwhile is tried at the next poll.
	if (session.loginFailure) throw session.loginFailure;
	session.renewing ??= (async () => {
		try {
			let token = await storedToken(run.context, session);
			let expiresAt = jwtExpiresAt(token);
			if (expiresAt === undefined || expiresAt - renewalMarginMs(token) <= Date.now()) {
				if (expiresAt !== undefined && expiresAt > Date.now()) {
					await pause(expiresAt - Date.now() + 50, run.signal);
				}
				await send(
					run,
					session,
					{
						method: 'GET',
						path: `/account/${encodeURIComponent(session.username)}`,
						action: 'logging in',
						kind: 'read',
						// As many tries as the request that needed the token (a poll's: one).
						maxAttempts,
					},
					{ probe: true },
				);
				token = await storedToken(run.context, session);
				expiresAt = jwtExpiresAt(token);
			}
			const renewAt = expiresAt === undefined ? undefined : expiresAt - renewalMarginMs(token);
			// A token without a readable exp (or a server clock behind ours) is checked again in a minute.
			session.validUntil =
				renewAt !== undefined && renewAt > Date.now() ? renewAt : Date.now() + 60_000;
		} catch (error) {
			// The probe's own error (an apiError that carries its facts: each item gets a copy).
			const failure = asNodeError(run.context, error);
			if (factsOf(error).configuration) session.loginFailure = failure;
			throw failure;
		} finally {
			session.renewing = undefined;
		}
	})();
	await session.renewing;
}

/** The token n8n would send now ('' when there is none, or it was issued for other credentials). */
async function storedToken(context: EverGisFunctions, session: Session): Promise<string> {
	const credentials = await context.getCredentials(CREDENTIAL_TYPE);
	if (typeof credentials.token === 'string' && credentials.token !== '') {
		session.secrets.add(credentials.token);
	}
	return tokenFor(credentials);
}

async function send<T>(
	run: EverGisRun,
	session: Session,
	request: EverGisRequest,
	{ probe = false } = {},
): Promise<T> {
	const { context, limit, signal } = run;
	const deadline = earliest(request.deadline, run.deadline);
	/** The last attempt's timeout: the request's own, or what was left of its time when it was sent. */
	let timeoutMs = request.timeoutMs ?? READ_TIMEOUT_MS;
	const multipart = typeof request.body === 'function';
	const outcome = await withRetries(
		request.kind,
		async () => {
			timeoutMs = timeoutWhenSent(request.timeoutMs ?? READ_TIMEOUT_MS, deadline);
			const options: IHttpRequestOptions = {
				method: request.method,
				url: `${session.host}${request.path}`,
				qs: request.qs,
				body: typeof request.body === 'function' ? request.body(signal) : request.body,
				headers: { Accept: multipart ? '*/*' : 'application/json' },
				json: !multipart,
				returnFullResponse: true,
				// axios keeps a copy of the whole body to replay it on a redirect: never for an upload.
				disableFollowRedirect: multipart || undefined,
				timeout: timeoutMs,
			};
			try {
				// n8n logs in again and resends once when the answer is 401 (its default), and only then:
				// 419 and 429 mean "busy", 503 "unavailable", 403 "not allowed". n8n gives the request the
				// execution's cancel signal itself; a read already sent when an item fails is let finish.
				const sending = context.helpers.httpRequestWithAuthentication.call(
					context,
					CREDENTIAL_TYPE,
					options,
				) as Promise<IN8nHttpFullResponse>;
				const response = multipart ? await unlessStopped(sending, signal) : await sending;
				if (isHtmlAnswer(response.headers, response.body)) {
					// A web client or proxy page with 200: treat it as the failure it is.
					throw Object.assign(new Error('HTML answer'), {
						response: {
							status: response.statusCode,
							data: response.body,
							headers: response.headers,
						},
					});
				}
				return parseBody(response.body) as T;
			} finally {
				request.afterAttempt?.();
			}
		},
		{
			signal,
			limit: probe ? undefined : limit,
			background: request.background,
			deadline,
			checkToken: probe
				? undefined
				: async () => await keepTokenFresh(run, session, request.maxAttempts),
			// An upload's time says how big the file is; a small request's, how loaded the server is.
			learnsFromLatency: !multipart,
			facts: factsOf,
			maxAttempts: request.maxAttempts,
			onRetry: (attempt, delayMs, facts) =>
				context.logger.debug(`EverGIS: ${request.action} failed, retrying`, {
					attempt,
					delayMs,
					status: facts.status,
					code: facts.code,
				}),
		},
	);
	if (outcome.ok) return outcome.value;
	// The token could not be renewed: that check's own error says why (each item gets a copy),
	// unless the run stopped meanwhile (the check's pause or its probe was cut): then the request
	// says it was stopped, and why.
	if (outcome.tokenCheckFailed && !signal.aborted) {
		throw asNodeError(context, outcome.error, request.itemIndex);
	}
	const facts = outcome.tokenCheckFailed ? { ...outcome.facts, canceled: true } : outcome.facts;
	// A path this server does not serve: on a host of the newer API generation, that is why. (Not
	// for the token check, which runs inside the token renewal the question would wait for.)
	if (isRouteError(facts) && !request.anotherPathFollows && !probe && !run.stopReason) {
		await refuseNewerApi(context.getNode(), session.host, request, facts.status, (question) =>
			send(run, session, question),
		);
	}
	throw apiError(context.getNode(), facts, request, {
		host: session.host,
		username: session.username,
		attempts: outcome.attempts,
		timeoutMs,
		secrets: [...session.secrets],
		stopReason: run.stopReason,
		route: `${request.method} ${request.path}`,
	});
}

function earliest(...moments: Array<number | undefined>): number | undefined {
	const known = moments.filter((moment): moment is number => moment !== undefined);
	return known.length > 0 ? Math.min(...known) : undefined;
}

/**
 * An attempt's timeout, fixed when it is sent (it may have waited for its turn, or for the token):
 * the request's own, cut to what is left until its deadline. None left: it is not sent.
 */
function timeoutWhenSent(timeoutMs: number, deadline: number | undefined): number {
	if (deadline === undefined) return timeoutMs;
	const left = Math.ceil(deadline - Date.now());
	if (left <= 0) throw new DeadlinePassed();
	return Math.min(timeoutMs, left);
}

/**
 * An upload's answer, or the run's stop if that comes first. n8n gives every request the
 * execution's cancel signal in place of one of the node's own (httpRequestWithAuthentication sets
 * `abortSignal` from getExecutionCancelSignal(): n8n-core 1.84 and 1.122
 * request-helper-functions.js, 2.40 and 2.41 request-helpers/authentication.js), so the node
 * cannot end the socket when it stops for a reason of its own (another item failed). And a server
 * that stopped reading the body never pulls the next chunk, where the stop is also looked at
 * (upload.ts). So the run does not wait for the upload: the attempt ends at once, its file is closed
 * (afterAttempt), and the socket ends by the upload's timeout, or when the server reads again.
 */
async function unlessStopped<T>(sending: Promise<T>, signal: AbortSignal): Promise<T> {
	sending.catch(() => undefined);
	let forget: () => unknown = () => undefined;
	try {
		return await Promise.race([
			sending,
			new Promise<never>((_resolve, reject) => {
				forget = whenAborted(signal, () => reject(signal.reason));
				if (signal.aborted) reject(signal.reason);
			}),
		]);
	} finally {
		forget();
	}
}

/** Upload answers come back as text (the request is multipart, not JSON). */
function parseBody(body: unknown): unknown {
	if (typeof body !== 'string') return body;
	const text = body.trim();
	if (text === '') return {};
	try {
		return JSON.parse(text);
	} catch {
		return body;
	}
}

export type { RequestKind };
