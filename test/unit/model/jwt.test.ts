import { jwtExpiresAt } from '../../../nodes/EverGis/model/jwt';

function jwt(payload: unknown, header: unknown = { alg: 'HS256', typ: 'JWT' }): string {
	const part = (value: unknown) =>
		Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
	return `${part(header)}.${part(payload)}.c2lnbmF0dXJl`;
}

describe('jwtExpiresAt', () => {
	test('exp (seconds) becomes milliseconds', () => {
		expect(jwtExpiresAt(jwt({ sub: 'alice', exp: 1_700_000_000 }))).toBe(1_700_000_000_000);
	});

	test('a numeric string exp is read too', () => {
		expect(jwtExpiresAt(jwt({ exp: '1700000000' }))).toBe(1_700_000_000_000);
	});

	test('a payload with base64url characters (- and _) decodes', () => {
		// "name" chosen so that its base64 needs the url-safe alphabet.
		const token = jwt({ exp: 1_700_000_600, name: '>>>???~~~Снимок' });
		expect(token.split('.')[1]).toMatch(/[-_]/);
		expect(jwtExpiresAt(token)).toBe(1_700_000_600_000);
	});

	test('the token is not verified: any signature is accepted', () => {
		const token = jwt({ exp: 1_700_000_000 }).replace(/[^.]+$/, 'not-a-real-signature');
		expect(jwtExpiresAt(token)).toBe(1_700_000_000_000);
	});

	test.each([
		['no exp', jwt({ sub: 'alice' })],
		['exp 0', jwt({ exp: 0 })],
		['negative exp', jwt({ exp: -5 })],
		['non-numeric exp', jwt({ exp: 'tomorrow' })],
		['exp null', jwt({ exp: null })],
		['payload is JSON null', jwt('null')],
		['payload is a JSON number', jwt('5')],
		['payload is not JSON', jwt('{not json')],
		['two parts', 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9'],
		['four parts', `${jwt({ exp: 1_700_000_000 })}.extra`],
		['an opaque token', '5f0c1f4e-7a7d-4c51-a0d4-0b0f0c2d9a11'],
		['empty string', ''],
	])('%s → undefined', (_label, token) => {
		expect(jwtExpiresAt(token)).toBeUndefined();
	});

	test.each([undefined, null, 42, {}, ['a', 'b', 'c']])(
		'a non-string (%p) → undefined',
		(token) => {
			expect(jwtExpiresAt(token)).toBeUndefined();
		},
	);
});
