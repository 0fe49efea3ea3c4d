import type { INode } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

/**
 * Error shapes as n8n hands them to a node. Built by hand (axios is not a dependency of this
 * package) but with what matters: the class name `AxiosError` (NodeApiError looks at it),
 * `isAxiosError`, `code`, `response.{status,data,headers}`, and a `config` that holds the secrets
 * a real failed request carries (Authorization header, login body).
 */
export class AxiosError extends Error {
	isAxiosError = true;
	code?: string;
	config?: unknown;
	request?: unknown;
	response?: {
		status: number;
		statusText?: string;
		data?: unknown;
		headers: Record<string, unknown>;
	};
}

export const PASSWORD = 'correct-horse-battery-staple';
export const TOKEN =
	'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

export const NODE: INode = {
	id: 'node-1',
	name: 'EverGIS Tiling',
	type: 'n8n-nodes-evergis.everGisTiling',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

export function axiosError(options: {
	message?: string;
	code?: string;
	status?: number;
	data?: unknown;
	headers?: Record<string, unknown>;
	cause?: unknown;
}): AxiosError {
	const error = new AxiosError(
		options.message ??
			(options.status !== undefined
				? `Request failed with status code ${options.status}`
				: 'socket hang up'),
		options.cause !== undefined ? { cause: options.cause } : undefined,
	);
	error.name = 'AxiosError';
	if (options.code !== undefined) error.code = options.code;
	error.config = {
		method: 'post',
		url: 'https://x/sp/account/login',
		headers: { Authorization: `Bearer ${TOKEN}`, Cookie: `jwt=${TOKEN}` },
		data: JSON.stringify({ username: 'alice', password: PASSWORD }),
	};
	if (options.status !== undefined) {
		error.response = {
			status: options.status,
			data: options.data,
			headers: options.headers ?? { 'content-type': 'application/json; charset=utf-8' },
		};
	}
	return error;
}

/** What httpRequestWithAuthentication throws: a NodeApiError around the axios error. */
export function wrapped(error: Error): NodeApiError {
	return new NodeApiError(NODE, error as never);
}
