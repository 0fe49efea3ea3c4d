/**
 * A small client of n8n 2.x's internal REST API (`/rest/...`, what the editor uses): owner setup,
 * login (the `n8n-auth` cookie, tied to a `browser-id` header), the credential test, the type files.
 */
import { randomUUID } from 'node:crypto';

export const OWNER = {
	email: 'owner@example.com',
	firstName: 'E2E',
	lastName: 'Owner',
	password: 'E2e-owner-Passw0rd',
};

export interface RestAnswer<T = unknown> {
	status: number;
	body: T;
	text: string;
}

export class N8nRest {
	private cookie = '';
	/** n8n ties the auth cookie to the browser id it was issued for: every call sends the same one. */
	readonly browserId = randomUUID();
	/** Every answer's text, for the secret scan. */
	readonly answers: string[] = [];

	constructor(readonly baseUrl: string) {}

	async call<T = unknown>(method: string, path: string, body?: unknown): Promise<RestAnswer<T>> {
		const response = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: {
				'browser-id': this.browserId,
				...(this.cookie ? { cookie: this.cookie } : {}),
				...(body !== undefined ? { 'content-type': 'application/json' } : {}),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(120_000),
		});
		const setCookie = response.headers.getSetCookie?.() ?? [];
		const auth = setCookie.find((value) => value.startsWith('n8n-auth='));
		if (auth) this.cookie = auth.split(';')[0];
		const text = await response.text();
		this.answers.push(text);
		let parsed: unknown = text;
		try {
			parsed = JSON.parse(text);
		} catch {
			// not JSON
		}
		return { status: response.status, body: parsed as T, text };
	}

	/** `POST /rest/owner/setup` (the first start's "Set up owner account"). */
	async setupOwner(): Promise<RestAnswer> {
		return this.call('POST', '/rest/owner/setup', OWNER);
	}

	/** `POST /rest/login` as the owner; keeps the cookie. */
	async login(): Promise<RestAnswer> {
		const answer = await this.call('POST', '/rest/login', {
			emailOrLdapLoginId: OWNER.email,
			password: OWNER.password,
		});
		if (answer.status !== 200) throw new Error(`login: HTTP ${answer.status} ${answer.text}`);
		return answer;
	}

	/** `POST /rest/credentials/test`: `{ status: 'OK' | 'Error', message }` (n8n wraps it in `data`). */
	async testCredential(credential: {
		id: string;
		name: string;
		type: string;
		data: Record<string, unknown>;
	}): Promise<{ status: string; message: string }> {
		const answer = await this.call<{ data?: { status: string; message: string } }>(
			'POST',
			'/rest/credentials/test',
			{ credentials: credential },
		);
		if (answer.status !== 200 || !answer.body?.data) {
			throw new Error(`credential test: HTTP ${answer.status} ${answer.text}`);
		}
		return answer.body.data;
	}
}
