import { randomUUID } from 'node:crypto';

import { errorReply, type Reply } from '../http-util';
import type { Dialect } from '../types';
import type { RouteContext, RouteDef } from './context';

// The newer API generation (the spec of EverGIS's Python SDK, "Spatial Processing Gateway API"
// 1.5.1), only as much as a client needs to recognise it: the routes whose presence makes the
// documented generation's requests answer 405 (GET /layers, GET /scheduler/{id}, POST
// /scheduler/tasks), the spec-only GET /scheduler/worker, and stubs for task prototypes and file
// resources. Nothing here runs a task or stores a file.

const NEWER: readonly Dialect[] = ['newer'];

const WORKERS = [
	{ type: 'importExport', methods: ['import', 'export'] },
	{ type: 'geoProcessing', methods: ['buffer', 'overlay'] },
];

/** A body the stub does not read: drained, so that the connection stays usable. */
async function drained(ctx: RouteContext): Promise<void> {
	ctx.req.resume();
	if (!ctx.req.complete) await new Promise((resolve) => ctx.req.once('end', resolve));
}

function route(
	method: RouteDef['method'],
	pattern: RegExp,
	answer: (ctx: RouteContext) => unknown,
): RouteDef {
	return {
		name: 'newerApi',
		method,
		pattern,
		auth: true,
		dialects: NEWER,
		handler: async (ctx): Promise<Reply> => {
			await drained(ctx);
			return { status: 200, body: answer(ctx) };
		},
	};
}

export const newerRoutes: RouteDef[] = [
	// "Shows active workers" (ActiveWorkerDc[]): no tiling worker among them.
	route('GET', /^\/scheduler\/worker$/, () => WORKERS),
	// Task prototypes: list (SearchResultsDto.TaskPrototypeDto) and create (a uuid).
	route('GET', /^\/scheduler$/, () => ({ count: 0, results: [] })),
	route('POST', /^\/scheduler$/, () => randomUUID()),
	route('PUT', /^\/scheduler\/([^/]+)$/, (ctx) => ctx.params[0]),
	route('DELETE', /^\/scheduler\/([^/]+)$/, (ctx) => ctx.params[0]),
	route('POST', /^\/scheduler\/([^/]+)\/start$/, () => ({ id: randomUUID(), success: true })),
	// Files are catalog resources (ExtendedCatalogResourceDc).
	route('POST', /^\/resources\/file$/, () => ({ resourceId: randomUUID(), type: 'File' })),
	route('POST', /^\/resources$/, () => ({ items: [], totalCount: 0 })),
	// Publishing a layer: the only /layers route besides /layers/{name}.
	{
		name: 'newerApi',
		method: 'POST',
		pattern: /^\/layers$/,
		auth: true,
		dialects: NEWER,
		handler: async (ctx) => {
			await drained(ctx);
			return errorReply(400, 'The sandbox does not publish layers');
		},
	},
];
