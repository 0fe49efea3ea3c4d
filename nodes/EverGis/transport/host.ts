import { UserError } from 'n8n-workflow';

const CONFIGURATION = 'configuration';

/**
 * An error in what the user configured (Host, Username, Password) found while logging in. It is
 * tagged so that a request that fails because of it reports it as it is, not as a network fault.
 */
export function configurationError(message: string, description: string): UserError {
	remember(message, description);
	return new UserError(message, { description, tags: { evergis: CONFIGURATION } });
}

export function isConfigurationError(error: unknown): error is UserError {
	return error instanceof UserError && error.tags?.evergis === CONFIGURATION;
}

/**
 * n8n wraps an error of the credentials' preAuthentication in a NodeApiError. Before n8n-workflow
 * 2.34.0 (n8n 1.x up to 2.33) that NodeApiError drops its `cause` (a class field `cause` is set
 * again after the Error constructor, and only a non-Error cause is put back), so the tagged error
 * is lost. It keeps the message (also in `messages`, when n8n rewrote the message because it
 * contained an error code) and the description: configuration errors made in this process are
 * remembered by those two, and an error that carries both is recognised as one.
 */
const remembered = new Map<string, string>();
const REMEMBERED_MAX = 200;

function remember(message: string, description: string): void {
	remembered.delete(message);
	remembered.set(message, description);
	if (remembered.size > REMEMBERED_MAX) remembered.delete(remembered.keys().next().value!);
}

/** The message and description of a configuration error, also when n8n wrapped it without its cause. */
export function configurationOf(
	error: unknown,
): { message: string; description: string } | undefined {
	if (isConfigurationError(error)) {
		return { message: error.message, description: error.description ?? '' };
	}
	if (!(error instanceof Error)) return undefined;
	const { description, messages } = error as Error & { description?: unknown; messages?: unknown };
	if (typeof description !== 'string') return undefined;
	const candidates = [error.message, ...(Array.isArray(messages) ? messages : [])];
	const message = candidates.find(
		(candidate) => typeof candidate === 'string' && remembered.get(candidate) === description,
	) as string | undefined;
	return message === undefined ? undefined : { message, description };
}

/**
 * The Host field of the credentials is the API's base URL, prefix included
 * (`https://evergis.ru/sp`). Every API path is appended to it, so a trailing slash is dropped.
 */
export function normalizeHost(raw: unknown): string {
	const text = typeof raw === 'string' ? raw.trim() : '';
	if (text === '') {
		throw configurationError(
			'The EverGIS Host is empty',
			'Set Host in the EverGIS API credentials, e.g. https://evergis.ru/sp',
		);
	}
	if (!/^https?:\/\//i.test(text)) {
		throw configurationError(
			`The EverGIS Host '${text}' has no http:// or https:// scheme`,
			`Write the full address with its scheme and API prefix, e.g. https://${text.replace(/^\/+/, '')}`,
		);
	}
	if (!URL.canParse(text)) {
		throw configurationError(
			`The EverGIS Host '${text}' is not a valid URL`,
			'Write the full address with its scheme and API prefix, e.g. https://evergis.ru/sp',
		);
	}
	const url = new URL(text);
	if (url.search || url.hash) {
		throw configurationError(
			`The EverGIS Host '${text}' must not contain '?' or '#'`,
			'Give only the base address of the API, e.g. https://evergis.ru/sp',
		);
	}
	return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
