import type { IDataObject } from 'n8n-workflow';

import { everGisRequest } from './request';
import type { EverGisRun } from './run';

/** A file to put into EverGIS's temporary storage, read anew for every attempt. */
export interface UploadSource {
	/** The name EverGIS stores it under (the `fileId` a task then refers to). */
	uploadName: string;
	size: number;
	mimeType: string;
	open: () => Promise<AsyncIterable<Uint8Array> & Closable>;
}

/**
 * Chunks read from n8n's binary store for an upload. Node's default 64 KiB chunks made a 1 GiB
 * upload up to 1.7× slower than curl on two cores; 256 KiB chunks keep it level with curl while
 * the process holds only a few MiB more (docs/BENCHMARKS.md, n8n's engine on Node 20). Inside n8n
 * 2.x on Node 24 the upload is slower whatever the chunk size: Node 24 frees every chunk n8n's
 * binary stream reads with full GCs of n8n's heap, a cost of n8n's own that a community node cannot
 * avoid (BENCHMARKS.md, part 5).
 */
export const UPLOAD_CHUNK_BYTES = 256 * 1024;

export interface UploadedFile {
	fileId: string;
	url: string | null;
}

type Closable = { destroy?: () => void };

/**
 * The sources one attempt opened. axios leaves a body it stopped sending (an early 401/413, a
 * reset) unfinished, and may stop while a source is still being opened: whatever the attempt
 * opened is closed when the attempt is over, and whatever opens after that is closed at once, so
 * no file handle waits for the garbage collector.
 */
class AttemptSources {
	private over = false;
	private readonly open = new Set<Closable>();

	/** Keeps `content` until the attempt is over; false (and closed) if it already is. */
	track(content: Closable): boolean {
		if (this.over) {
			content.destroy?.();
			return false;
		}
		this.open.add(content);
		return true;
	}

	release(content: Closable): void {
		this.open.delete(content);
		content.destroy?.();
	}

	end(): void {
		this.over = true;
		for (const content of this.open) content.destroy?.();
		this.open.clear();
	}
}

/**
 * A File whose content is streamed from its source when the request is sent, instead of being
 * held in memory. FormData and axios only read `name`, `type`, `size` and `stream()`, so a 2 GiB
 * GeoTIFF in n8n's filesystem binary mode goes out in chunks. Each `stream()` opens the source
 * again, so n8n can resend the body after renewing the token.
 */
class StreamedFile extends File {
	constructor(source: UploadSource, sources: AttemptSources, stopSignal: AbortSignal) {
		super([], source.uploadName, { type: source.mimeType || 'application/octet-stream' });
		Object.defineProperties(this, {
			size: { value: source.size },
			stream: {
				value: () =>
					(async function* () {
						const content = await source.open();
						if (!sources.track(content)) return;
						try {
							for await (const chunk of content) {
								// The execution stopped (canceled, or another item failed): the upload ends here.
								stopSignal.throwIfAborted();
								yield chunk;
							}
						} finally {
							sources.release(content);
						}
					})(),
			},
		});
	}
}

/**
 * An upload may take long, but not forever: a server that accepts the connection and then stalls
 * must not hold the item until the execution is canceled. The limit grows with the file: two
 * minutes plus the time the file takes at 256 KB/s (a 2 GiB raster: about 2 h 20 min).
 */
export function uploadTimeoutMs(size: number): number {
	return 120_000 + Math.ceil(size / 256);
}

/** `POST {host}/upload/file`, multipart with `file` and `rewrite=true`, as data_upload.md shows. */
export async function uploadToTemporaryStorage(
	run: EverGisRun,
	source: UploadSource,
	itemIndex?: number,
): Promise<UploadedFile> {
	let attempts: AttemptSources[] = [];
	const answer = (await everGisRequest(run, {
		method: 'POST',
		path: '/upload/file',
		body: (stopSignal) => {
			const form = new FormData();
			// Names are unique per upload unless the user keeps the original ones, so overwriting
			// only ever replaces this same file when an attempt is repeated.
			form.append('rewrite', 'true');
			const sources = new AttemptSources();
			attempts.push(sources);
			form.append('file', new StreamedFile(source, sources, stopSignal));
			return form;
		},
		afterAttempt: () => {
			for (const sources of attempts) sources.end();
			attempts = [];
		},
		kind: 'upload',
		timeoutMs: uploadTimeoutMs(source.size),
		action: `uploading '${source.uploadName}' (${source.size} bytes)`,
		itemIndex,
	})) as IDataObject;
	const url = typeof answer?.url === 'string' ? answer.url : null;
	// A task names a file by the fileId the server answered, which may differ from the name sent.
	if (typeof answer?.fileId === 'string' && answer.fileId !== '') {
		return { fileId: answer.fileId, url };
	}
	// Not as documented: the name sent is the best guess (the docs' server answers it unchanged);
	// should the server have stored the file under another name, creating the task fails with
	// EverGIS's own 400 naming the file, and nothing is created.
	run.context.logger.warn(
		`EverGIS: the answer to uploading '${source.uploadName}' has no fileId; the task names the file as sent`,
		{ answer: JSON.stringify(answer).slice(0, 200) },
	);
	return { fileId: source.uploadName, url };
}
