import type {
	ICredentialDataDecryptedObject,
	ICredentials,
	ICredentialType,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeProperties,
	IRequestOptionsSimplified,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { ICredentialsHelper } from 'n8n-workflow';

/**
 * n8n's credentials helper lives in the n8n app (packages/cli), not in n8n-core, so the in-process
 * engine needs its own. This one follows n8n's rules where our credentials depend on them:
 * - the stored data is the "database": every getDecrypted returns a fresh copy of it, with the
 *   credential type's defaults filled in, as n8n does;
 * - preAuthentication runs when the expirable (hidden) field is empty or the request said the
 *   credentials expired, and what it returns is written back to the store (updateCredentials);
 * - authenticate calls the credential type's authenticate function.
 * The real helper is exercised by the end-to-end suite in a real n8n.
 */
export class TestCredentialsHelper extends ICredentialsHelper {
	private readonly store = new Map<
		string,
		{ type: string; name: string; data: ICredentialDataDecryptedObject }
	>();

	/** Every preAuthentication call that logged in, for assertions. */
	preAuthenticationCalls = 0;

	constructor(private readonly types: Map<string, ICredentialType>) {
		super();
	}

	set(id: string, type: string, name: string, data: ICredentialDataDecryptedObject) {
		this.store.set(id, { type, name, data: { ...data } });
	}

	read(id: string): ICredentialDataDecryptedObject | undefined {
		const entry = this.store.get(id);
		return entry ? { ...entry.data } : undefined;
	}

	private type(name: string): ICredentialType {
		const type = this.types.get(name);
		if (!type) throw new Error(`Unknown credential type ${name}`);
		return type;
	}

	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
	): Promise<IHttpRequestOptions> {
		const type = this.type(typeName);
		if (typeof type.authenticate === 'function') {
			return await type.authenticate(credentials, requestOptions as IHttpRequestOptions);
		}
		throw new Error(`Credential type ${typeName} has no authenticate function`);
	}

	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.type(typeName);
		const expirable = type.properties.find(
			(property) => property.type === 'hidden' && property.typeOptions?.expirable === true,
		);
		if (!expirable || !type.preAuthentication) return undefined;
		// n8n always logs in for a credential test (its temporary NoOp node with a `temp` parameter).
		const testing = node?.parameters?.temp === '' && node?.type === 'n8n-nodes-base.noOp';
		if (credentials[expirable.name] !== '' && !credentialsExpired && !testing) return undefined;
		this.preAuthenticationCalls++;
		const output = (await type.preAuthentication.call(
			helpers,
			credentials,
		)) as ICredentialDataDecryptedObject;
		if (output[expirable.name] === undefined) return undefined;
		const details = node.credentials?.[type.name];
		if (details?.id) {
			await this.updateCredentials(details, type.name, { ...credentials, ...output });
		}
		return Object.assign(credentials, output);
	}

	async runPreAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.type(typeName);
		if (!type.preAuthentication) return undefined;
		const output = (await type.preAuthentication.call(
			helpers,
			credentials,
		)) as ICredentialDataDecryptedObject;
		return { ...credentials, ...output };
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('getCredentials is not used by these nodes');
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		nodeCredentials: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		const entry = nodeCredentials.id ? this.store.get(nodeCredentials.id) : undefined;
		if (!entry || entry.type !== type) {
			throw new Error(
				`Credentials ${nodeCredentials.id ?? nodeCredentials.name} of type ${type} not found`,
			);
		}
		const withDefaults: ICredentialDataDecryptedObject = {};
		for (const property of this.type(type).properties) {
			withDefaults[property.name] = property.default as ICredentialDataDecryptedObject[string];
		}
		return { ...withDefaults, ...entry.data };
	}

	async updateCredentials(
		nodeCredentials: INodeCredentialsDetails,
		_type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		const entry = nodeCredentials.id ? this.store.get(nodeCredentials.id) : undefined;
		if (entry) entry.data = { ...data };
	}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.type(type).properties;
	}
}
