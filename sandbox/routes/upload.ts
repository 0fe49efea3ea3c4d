import type { Reply } from '../http-util';
import { receiveUpload } from '../upload';
import { DOCUMENTED, type RouteContext, type RouteDef } from './context';

async function upload(ctx: RouteContext): Promise<Reply> {
	const { core } = ctx;
	const outcome = await receiveUpload(
		ctx.req,
		core.scope(ctx.user),
		core.storage,
		core.options.maxUploadBytes,
		core.options.renameUploads,
	);
	if (outcome.stored) {
		core.stats.uploadsStored++;
		core.changed();
	}
	return outcome.reply;
}

export const uploadRoutes: RouteDef[] = [
	{
		name: 'upload',
		method: 'POST',
		pattern: /^\/upload\/file$/,
		auth: true,
		handler: upload,
		dialects: DOCUMENTED,
	},
];
