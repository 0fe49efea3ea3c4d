import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestHelper,
	IHttpRequestOptions,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

import { NEWER_API_TEST_MESSAGE } from '../nodes/EverGis/transport/generation';
import { logIn, loginScope, tokenFor } from '../nodes/EverGis/transport/login';

/**
 * EverGIS logs in with a username and password and answers a JWT that lives about ten minutes.
 * n8n keeps that token in the hidden, expirable `token` field: it logs in (preAuthentication)
 * when the field is empty and again when a request answers 401 (only then: 419 means "busy").
 */
export class EverGisApi implements ICredentialType {
	name = 'everGisApi';

	displayName = 'EverGIS API';

	icon: Icon = { light: 'file:../icons/evergis.svg', dark: 'file:../icons/evergis.dark.svg' };

	documentationUrl = 'https://github.com/evergis-community/n8n-nodes-evergis#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: 'https://evergis.ru/sp',
			placeholder: 'https://evergis.ru/sp',
			required: true,
			description:
				'Base URL of the EverGIS API, including its prefix (/sp on evergis.ru). Self-hosted: e.g. https://gis.example.com/sp.',
		},
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			required: true,
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Ignore SSL Issues (Insecure)',
			name: 'ignoreSslIssues',
			type: 'boolean',
			default: false,
			description:
				'Whether to connect even if the TLS certificate cannot be verified (e.g. a self-signed certificate on a self-hosted server)',
		},
		{
			displayName: 'Token',
			name: 'token',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
		{
			// Which Host, username and password the token was issued for (a digest): see loginScope.
			displayName: 'Issued For',
			name: 'issuedFor',
			type: 'hidden',
			default: '',
		},
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		const token = await logIn(this.helpers, {
			host: credentials.host as string,
			username: credentials.username as string,
			password: credentials.password as string,
			ignoreSslIssues: credentials.ignoreSslIssues === true,
			// No token issued for these very credentials yet: their first login (what Test runs).
			askApiGeneration: tokenFor(credentials) === '',
		});
		return { token, issuedFor: loginScope(credentials) };
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		// A token issued for other credentials (the Host or password was edited since) is not sent:
		// EverGIS answers 401 and n8n logs in with what the credentials say now.
		const token = tokenFor(credentials);
		return {
			...requestOptions,
			headers: {
				...requestOptions.headers,
				// The official SDK sends the Bearer header; the docs' sessions carry the jwt cookie. Both, so either works.
				...(token !== '' ? { Authorization: `Bearer ${token}`, Cookie: `jwt=${token}` } : {}),
			},
			skipSslCertificateValidation:
				requestOptions.skipSslCertificateValidation === true ||
				credentials.ignoreSslIssues === true,
		};
	}

	/**
	 * Test: n8n logs in (preAuthentication) when no token is stored for the credential, and the first
	 * login of these credentials asks whether the host speaks the newer EverGIS API (login.ts): that
	 * login then fails with the sentence that says so, in every n8n release. Then one request of the
	 * documented generation that needs the user: the first page of their layers (layer_list.md). A
	 * server of the newer generation has no `GET /layers` (only `POST`): 405, which the rule turns into
	 * the same sentence where n8n applies rules (n8n 2.34 and later: they read the status from the
	 * error's `cause`, which n8n 1.x drops; docs/evergis-api.md). Not a 404: any web server without
	 * that path answers it (a Host that is not EverGIS at all, tested with a token for another Host).
	 */
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.host.trim().replace(/\\/+$/, "")}}',
			url: '/layers',
			qs: { group: 'my', limit: 1 },
			method: 'GET',
			skipSslCertificateValidation: '={{$credentials.ignoreSslIssues}}',
		},
		rules: [
			{
				type: 'responseCode',
				properties: { value: 405, message: NEWER_API_TEST_MESSAGE },
			},
		],
	};
}
