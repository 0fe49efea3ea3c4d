import { UserError } from 'n8n-workflow';

import { normalizeHost } from '../../../nodes/EverGis/transport/host';
import { configurationError, loginFailureOf } from '../../../nodes/EverGis/transport/loginErrors';
import { thrownBy, userErrorFrom } from '../helpers/throws';

const isConfiguration = (error: unknown) => loginFailureOf(error)?.kind === 'configuration';

function configurationErrorFrom(raw: unknown): UserError {
	const error = userErrorFrom(() => normalizeHost(raw));
	expect(isConfiguration(error)).toBe(true);
	return error;
}

describe('normalizeHost', () => {
	test.each([
		['https://evergis.ru/sp', 'https://evergis.ru/sp'],
		['https://evergis.ru/sp/', 'https://evergis.ru/sp'],
		['https://evergis.ru/sp///', 'https://evergis.ru/sp'],
		['  https://evergis.ru/sp/ \n', 'https://evergis.ru/sp'],
		['\thttps://evergis.ru/sp', 'https://evergis.ru/sp'],
		['http://localhost:5678/sp', 'http://localhost:5678/sp'],
		['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
		['https://evergis.ru/', 'https://evergis.ru'],
		['https://evergis.ru', 'https://evergis.ru'],
		['HTTPS://EverGIS.RU/sp', 'https://evergis.ru/sp'],
		['https://gis.example.com:8443/api/sp/', 'https://gis.example.com:8443/api/sp'],
		['https://evergis.ru:443/sp', 'https://evergis.ru/sp'],
	])('%p → %p', (raw, expected) => {
		expect(normalizeHost(raw)).toBe(expected);
	});

	test('plain http is kept (local installs, the sandbox)', () => {
		expect(normalizeHost('http://evergis.local/sp')).toBe('http://evergis.local/sp');
	});

	test.each(['', '   ', undefined, null, 42, {}])(
		'empty or not text (%p): "Host is empty"',
		(raw) => {
			const error = configurationErrorFrom(raw);
			expect(error.message).toBe('The EverGIS Host is empty');
			expect(error.description).toContain('https://evergis.ru/sp');
		},
	);

	test('no scheme: says so, and suggests the address with https://', () => {
		const error = configurationErrorFrom('evergis.ru/sp');
		expect(error.message).toBe(
			"The EverGIS Host 'evergis.ru/sp' has no http:// or https:// scheme",
		);
		expect(error.description).toContain('https://evergis.ru/sp');
	});

	test.each(['ftp://evergis.ru/sp', '//evergis.ru/sp', 'evergis.ru:443/sp'])(
		'another or no scheme (%p) is refused',
		(raw) => {
			expect(configurationErrorFrom(raw).message).toMatch(/has no http:\/\/ or https:\/\/ scheme$/);
		},
	);

	test.each(['https://', 'http://exa mple.com/sp', 'https://[::1/sp', 'http://:80/sp'])(
		'a bad URL (%p) is refused',
		(raw) => {
			const error = configurationErrorFrom(raw);
			expect(error.message).toBe(`The EverGIS Host '${raw}' is not a valid URL`);
		},
	);

	test.each([
		'https://evergis.ru/sp?token=abc',
		'https://evergis.ru/sp/?a=1',
		'https://evergis.ru/sp#api',
	])('a query string or fragment (%p) is refused', (raw) => {
		const error = configurationErrorFrom(raw);
		expect(error.message).toBe(`The EverGIS Host '${raw}' must not contain '?' or '#'`);
		expect(error.description).toContain('https://evergis.ru/sp');
	});
});

describe('configurationError', () => {
	test('is a UserError tagged as configuration, with the description', () => {
		const error = configurationError('Bad host', 'Fix it.');
		expect(error).toBeInstanceOf(UserError);
		expect(error.message).toBe('Bad host');
		expect(error.description).toBe('Fix it.');
		expect(isConfiguration(error)).toBe(true);
	});

	test('other errors are not configuration errors', () => {
		expect(isConfiguration(new UserError('x'))).toBe(false);
		expect(isConfiguration(new Error('x'))).toBe(false);
		expect(isConfiguration({ tags: { evergis: 'configuration' } })).toBe(false);
		expect(isConfiguration(undefined)).toBe(false);
		expect(isConfiguration(thrownBy(() => JSON.parse('{')))).toBe(false);
	});
});
