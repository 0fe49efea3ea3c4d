import type { INode } from 'n8n-workflow';

import { apiErrorOf } from '../shared/nodeErrors';
import { failureOf } from './errors';
import { hostMemory } from './hostMemory';
import type { EverGisRequest } from './request';

/**
 * EverGIS speaks two API generations under the same `/sp` prefix (docs/evergis-api.md). The
 * package speaks the one the EverGIS docs describe (tiling tasks, `POST /upload/file`). The newer
 * one (the spec of EverGIS's Python SDK, "Spatial Processing Gateway API" 1.5.1) has task
 * prototypes and file resources instead, and no tiling task the package can use: on such a server
 * the package's requests meet 404 and 405. This module tells the two apart and says so.
 */

/**
 * The spec-only request that identifies the newer generation: `GET /scheduler/worker` ("Shows
 * active workers", an array of ActiveWorkerDc). A server of the documented generation has no such
 * route (404), or reads `worker` as a task ID (a JSON 404 or 400).
 */
export const NEWER_API_PROBE_PATH = '/scheduler/worker';

/** What the probe's answer says: newer (a JSON array), not newer (another HTTP answer), or unknown. */
export function newerApiVerdict(status: number | undefined, body: unknown): boolean | undefined {
	if (status === undefined) return undefined;
	if (status >= 200 && status < 300) return Array.isArray(body);
	// 401, busy, a failing server or proxy: this answer says nothing about the API.
	if (status === 401 || status === 408 || status === 419 || status === 429 || status >= 500) {
		return undefined;
	}
	return false;
}

/**
 * Whether the host speaks the newer API: asked once per host and process (hostMemory.ts), by
 * `ask`, which sends NEWER_API_PROBE_PATH and gives newerApiVerdict of its answer. An answer that
 * says nothing (a network failure, busy) is not kept: the next caller asks again.
 */
export async function speaksNewerApi(
	host: string,
	ask: () => Promise<boolean | undefined>,
): Promise<boolean> {
	const memory = hostMemory(host);
	const asked = (memory.newerApi ??= ask().catch(() => undefined));
	const verdict = await asked;
	if (verdict === undefined && memory.newerApi === asked) memory.newerApi = undefined;
	return verdict === true;
}

/**
 * What the credentials' Test says when the user's `GET /layers` is answered 405 (the newer API has
 * only `POST /layers`): n8n's test rules take a fixed text, so it names no host.
 */
export const NEWER_API_TEST_MESSAGE =
	'This EverGIS server has no GET /layers: it speaks the newer EverGIS API (task prototypes and file resources), which has no tiling task this package can use. ' +
	'Point Host at an EverGIS server of the API the EverGIS docs describe, or load the rasters with the EverGIS web client or its Python SDK.';

/** The one sentence, and what to do, for a host of the newer generation. */
export function newerApiMessage(
	host: string,
	seen?: string,
): { message: string; description: string } {
	return {
		message: `The EverGIS API at ${host} is the newer generation (task prototypes and file resources), which has no tiling task this package can use`,
		description:
			`${seen ? `It answered ${seen}, and ` : 'It '}serves the newer API's GET ${NEWER_API_PROBE_PATH}. ` +
			'This package loads rasters with the tiling task of the API the EverGIS docs describe (POST /scheduler/tasks?type=tiling after POST /upload/file); ' +
			'the newer API (the spec of EverGIS\'s Python SDK, "Spatial Processing Gateway API" 1.5) has neither. ' +
			'Point Host at an EverGIS server of the documented generation, or load the rasters with the EverGIS web client or its Python SDK.',
	};
}

/**
 * Called when a request met a route error (failure.ts isRouteError) that no other documented path
 * can get past: throws the newer API's sentence instead of it if the host speaks that API (asked
 * once per host and process, with `send`, which sends a request of the run).
 */
export async function refuseNewerApi(
	node: INode,
	host: string,
	request: EverGisRequest,
	status: number | undefined,
	send: (probe: EverGisRequest) => Promise<unknown>,
): Promise<void> {
	const newer = await speaksNewerApi(host, async () => {
		try {
			return newerApiVerdict(
				200,
				await send({
					method: 'GET',
					path: NEWER_API_PROBE_PATH,
					kind: 'read',
					action: 'asking which EverGIS API this is',
					maxAttempts: 1,
					// Its own route error is an answer ("not the newer API"), not a reason to ask again.
					anotherPathFollows: true,
				}),
			);
		} catch (error) {
			const facts = failureOf(error);
			return newerApiVerdict(facts?.status, facts?.body);
		}
	});
	if (!newer) return;
	const { message, description } = newerApiMessage(
		host,
		`${request.method} ${request.path} with HTTP ${status}`,
	);
	throw apiErrorOf(node, message, { description, itemIndex: request.itemIndex });
}
