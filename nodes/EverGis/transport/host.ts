import { configurationError } from './loginErrors';

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
