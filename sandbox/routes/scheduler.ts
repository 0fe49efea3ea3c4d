import { errorReply, type Reply } from '../http-util';
import { validateTiling } from '../tiling';
import type { Dialect } from '../types';
import { DOCUMENTED, jsonBody, type RouteContext, type RouteDef } from './context';

// The documented generation's scheduler (docs/evergis-api.md). Both readings: POST
// /scheduler/tasks?type=tiling, POST /scheduler/tasks/{id}/cancel. The tiling page's: GET
// /scheduler/tasks/{id}/progress, GET /scheduler/tasks/{id} (no page shows task info: its pattern).
// The reference page's: GET /scheduler/{id}/progress, GET /scheduler/{id}.

async function createTask(ctx: RouteContext): Promise<Reply> {
	const type = ctx.url.searchParams.get('type');
	if (type === null || type === '') {
		return errorReply(400, "Query parameter 'type' is required (type=tiling)");
	}
	if (type.toLowerCase() !== 'tiling') {
		return errorReply(400, `Task type '${type}' is not supported here: only type=tiling`);
	}
	const body = await jsonBody(ctx);
	if (!body.ok) return body.reply;
	const { core } = ctx;
	const checked = validateTiling(body.value, core.scope(ctx.user), core.storage, core.catalogs);
	if (!checked.ok) return errorReply(checked.status, checked.message);
	const { plan } = checked;
	if (plan.newCatalog) {
		// Made at once (not when the task runs), so that a second task can name it too.
		core.catalogs.createCatalog(plan.serviceName, ctx.user.username, plan.newCatalog);
	}
	const taskId = core.tasks.create({
		owner: ctx.user.username,
		body: body.value as Record<string, unknown>,
		serviceName: plan.serviceName,
		files: plan.files,
		attributes: plan.attributes,
		durationMs: core.options.taskDurationMs,
		timeoutMs: core.options.taskTimeoutMs,
	});
	core.stats.tasksCreated++;
	core.changed();
	return {
		status: 200,
		body: { taskId, type: null, owner: null, status: 'Scheduled', taskResult: null },
	};
}

/** The task if the caller may see it; another user's task is "not found" too. */
async function ownTask(ctx: RouteContext): Promise<string | Reply> {
	const id = ctx.params[0];
	if (ctx.core.tasks.owner(id) !== ctx.user.username) {
		return errorReply(404, `Task '${id}' was not found`);
	}
	await ctx.core.tasks.ready(id);
	return id;
}

async function progress(ctx: RouteContext): Promise<Reply> {
	const id = await ownTask(ctx);
	if (typeof id !== 'string') return id;
	return { status: 200, body: ctx.core.tasks.answerProgress(id) };
}

async function taskInfo(ctx: RouteContext): Promise<Reply> {
	const id = await ownTask(ctx);
	if (typeof id !== 'string') return id;
	return { status: 200, body: ctx.core.tasks.info(id) };
}

async function cancel(ctx: RouteContext): Promise<Reply> {
	const id = await ownTask(ctx);
	if (typeof id !== 'string') return id;
	ctx.core.tasks.cancel(id);
	return { status: 200, body: ctx.core.tasks.progress(id) };
}

const TILING_PAGE: readonly Dialect[] = ['tiling-page'];
const REFERENCE_PAGE: readonly Dialect[] = ['reference-page'];

export const schedulerRoutes: RouteDef[] = [
	{
		name: 'createTask',
		method: 'POST',
		pattern: /^\/scheduler\/tasks$/,
		auth: true,
		handler: createTask,
		dialects: DOCUMENTED,
	},
	{
		name: 'progress',
		method: 'GET',
		pattern: /^\/scheduler\/tasks\/([^/]+)\/progress$/,
		auth: true,
		handler: progress,
		dialects: TILING_PAGE,
	},
	{
		name: 'cancel',
		method: 'POST',
		pattern: /^\/scheduler\/tasks\/([^/]+)\/cancel$/,
		auth: true,
		handler: cancel,
		dialects: DOCUMENTED,
	},
	{
		name: 'taskInfo',
		method: 'GET',
		pattern: /^\/scheduler\/tasks\/([^/]+)$/,
		auth: true,
		handler: taskInfo,
		dialects: TILING_PAGE,
	},
	{
		name: 'progress',
		method: 'GET',
		pattern: /^\/scheduler\/([^/]+)\/progress$/,
		auth: true,
		handler: progress,
		dialects: REFERENCE_PAGE,
	},
	{
		name: 'taskInfo',
		method: 'GET',
		pattern: /^\/scheduler\/([^/]+)$/,
		auth: true,
		handler: taskInfo,
		dialects: REFERENCE_PAGE,
	},
];
