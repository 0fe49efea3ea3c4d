import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Sandbox } from '../../../sandbox';

// A tiny client for the sandbox tests, on Node's own fetch/FormData/Blob.

export const RASTERS = join(__dirname, '..', '..', 'fixtures', 'rasters');

export function raster(name: string): Buffer {
	return readFileSync(join(RASTERS, name));
}

export interface Session {
	token: string;
	refreshToken: string;
	username: string;
}

export async function login(
	sb: Sandbox,
	username = 'demo',
	password = `${username}-password`,
): Promise<Session> {
	const res = await fetch(`${sb.url}/account/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ username, password }),
	});
	if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
	return (await res.json()) as Session;
}

export function bearer(session: Session | string): Record<string, string> {
	return { authorization: `Bearer ${typeof session === 'string' ? session : session.token}` };
}

export interface JsonResponse<T = Record<string, unknown>> {
	status: number;
	headers: Headers;
	body: T;
	text: string;
}

export async function call<T = Record<string, unknown>>(
	sb: Sandbox,
	session: Session | string | null,
	method: string,
	path: string,
	body?: unknown,
): Promise<JsonResponse<T>> {
	const headers: Record<string, string> = session ? bearer(session) : {};
	let payload: string | undefined;
	if (body !== undefined) {
		headers['content-type'] = 'application/json';
		payload = typeof body === 'string' ? body : JSON.stringify(body);
	}
	const res = await fetch(`${sb.url}${path}`, { method, headers, body: payload });
	const text = await res.text();
	let parsed: unknown = undefined;
	try {
		parsed = JSON.parse(text);
	} catch {
		parsed = undefined;
	}
	return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export async function upload(
	sb: Sandbox,
	session: Session | string,
	name: string,
	data: Buffer | string,
	options: { rewrite?: boolean | string; rewriteFirst?: boolean } = {},
): Promise<JsonResponse> {
	const form = new FormData();
	const addRewrite = (): void => {
		if (options.rewrite !== undefined) form.append('rewrite', String(options.rewrite));
	};
	if (options.rewriteFirst) addRewrite();
	form.append('file', new Blob([data]), name);
	if (!options.rewriteFirst) addRewrite();
	const res = await fetch(`${sb.url}/upload/file`, {
		method: 'POST',
		headers: { ...bearer(session), accept: '*/*' },
		body: form,
	});
	const text = await res.text();
	let body: Record<string, unknown> = {};
	try {
		body = JSON.parse(text) as Record<string, unknown>;
	} catch {
		body = {};
	}
	return { status: res.status, headers: res.headers, body, text };
}

/** The tiling example of the docs (tiling.md), for user `user`. */
export function docsTilingBody(user = 'demo', files = ['landsat_test_image.tif']) {
	return {
		files,
		attributes: { name: 'Снимок Landsat-8', dateofimage: '2023-12-08T12:00:00+00:00' },
		polygonize: false,
		target: {
			type: 'tileFeatureLayerTaskDataStorage',
			serviceName: `${user}.landsat_images`,
			createNewService: false,
		},
		useCog: true,
	};
}

export async function createTask(
	sb: Sandbox,
	session: Session,
	body: unknown,
): Promise<JsonResponse> {
	return call(sb, session, 'POST', '/scheduler/tasks?type=tiling', body);
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls a task's progress until its status is terminal (or `timeoutMs` passes). */
export async function waitForEnd(
	sb: Sandbox,
	session: Session,
	taskId: string,
	timeoutMs = 10_000,
): Promise<Record<string, unknown>> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const r = await call(sb, session, 'GET', `/scheduler/tasks/${taskId}/progress`);
		if (r.status !== 200) throw new Error(`progress: ${r.status} ${r.text}`);
		if (!['Scheduled', 'Planning', 'Executing'].includes(r.body.status as string)) return r.body;
		if (Date.now() > until) throw new Error(`task ${taskId} still ${String(r.body.status)}`);
		await sleep(25);
	}
}
