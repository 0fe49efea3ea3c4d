import { QueryError, type ListQuery } from '../catalogs';
import { errorReply, type Reply } from '../http-util';
import { DOCUMENTED, type RouteContext, type RouteDef } from './context';

// GET /layers, GET /layers/{name}, GET /tables (the newer generation: only GET /layers/{name}).

function query(url: URL): ListQuery {
	const q: ListQuery = {};
	for (const key of [
		'types',
		'group',
		'filter',
		'offset',
		'limit',
		'names',
		'orderByField',
	] as const) {
		const v = url.searchParams.get(key);
		if (v !== null) q[key] = v;
	}
	return q;
}

function listing(build: (ctx: RouteContext, q: ListQuery) => unknown) {
	return async (ctx: RouteContext): Promise<Reply> => {
		try {
			return { status: 200, body: build(ctx, query(ctx.url)) };
		} catch (error) {
			if (error instanceof QueryError) return errorReply(400, error.message);
			throw error;
		}
	};
}

async function layer(ctx: RouteContext): Promise<Reply> {
	const name = ctx.params[0];
	const { catalogs } = ctx.core;
	const entry = catalogs.get(name);
	if (!entry) return errorReply(404, `Layer '${name}' was not found`);
	if (!catalogs.canRead(entry, ctx.user.username)) {
		return errorReply(403, `No permission to read layer '${name}'`);
	}
	return {
		status: 200,
		body: catalogs.definition(entry, ctx.user.username, ctx.core.options.layerTypes),
	};
}

export const layerRoutes: RouteDef[] = [
	{
		name: 'layers',
		method: 'GET',
		pattern: /^\/layers$/,
		auth: true,
		handler: listing((ctx, q) =>
			ctx.core.catalogs.listLayers(q, ctx.user.username, ctx.core.options.layerTypes),
		),
		dialects: DOCUMENTED,
	},
	{ name: 'layer', method: 'GET', pattern: /^\/layers\/([^/]+)$/, auth: true, handler: layer },
	{
		name: 'tables',
		method: 'GET',
		pattern: /^\/tables$/,
		auth: true,
		handler: listing((ctx, q) => ctx.core.catalogs.listTables(q, ctx.user.username)),
		dialects: DOCUMENTED,
	},
];
