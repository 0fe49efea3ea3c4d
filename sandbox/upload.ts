import busboy from 'busboy';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { errorReply, nginxReply, type Reply } from './http-util';
import { sanitizeFileName, type FileStorage, type StorageScope, type StoredFile } from './storage';

// POST /upload/file: a multipart/form-data body with a file part `file` and a field `rewrite`
// (before or after the file). The file is streamed to disk as it arrives, hashed on the way;
// only when the whole body has arrived is it moved into the user's storage (or refused). With
// `rename` (renameUploads) it is stored and answered as `u<6 hex>_<name>`, as a server may do.

export type UploadOutcome = { reply: Reply; stored?: StoredFile };

interface FilePart {
	name: string;
	incoming: string;
	stream: NodeJS.ReadableStream & { destroy(): void };
	written: Promise<{ size: number; sha256: string }>;
}

function isTrue(value: string | undefined): boolean {
	return value !== undefined && ['true', '1', 'yes', 'on'].includes(value.trim().toLowerCase());
}

export function receiveUpload(
	req: IncomingMessage,
	scope: StorageScope,
	storage: FileStorage,
	maxBytes: number | undefined,
	rename = false,
): Promise<UploadOutcome> {
	return new Promise<UploadOutcome>((resolve) => {
		let parser: busboy.Busboy;
		try {
			parser = busboy({
				headers: req.headers,
				defParamCharset: 'utf8',
				limits: { fieldSize: 64 * 1024, fields: 100, parts: 1000 },
			});
		} catch {
			req.resume();
			resolve({
				reply: errorReply(
					400,
					"The upload must be multipart/form-data with the file in a part named 'file'",
				),
			});
			return;
		}

		let done = false;
		let file: FilePart | undefined;
		let problem: string | undefined;
		let rewrite: string | undefined;
		let received = 0;

		const cleanup = (): void => {
			req.unpipe(parser);
			req.off('data', onData);
			parser.removeAllListeners('file');
			if (file) {
				const incoming = file.incoming;
				file.stream.destroy();
				file.written.then(
					() => storage.discard(incoming),
					() => storage.discard(incoming),
				);
			}
		};
		const finish = (outcome: UploadOutcome): void => {
			if (done) return;
			done = true;
			resolve(outcome);
		};
		const abort = (reply: Reply): void => {
			if (done) return;
			cleanup();
			parser.destroy();
			req.resume();
			finish({ reply });
		};

		const onData = (chunk: Buffer): void => {
			received += chunk.length;
			if (maxBytes !== undefined && received > maxBytes) {
				// As nginx's client_max_body_size: the proxy answers, the application sees nothing.
				abort(nginxReply(413, { connection: 'close' }));
			}
		};
		req.on('data', onData);
		req.once('close', () => {
			if (!req.complete) abort(errorReply(400, 'The upload was interrupted'));
		});

		parser.on('file', (field, stream, info) => {
			if (field !== 'file' || file || problem) {
				stream.resume();
				return;
			}
			const name = sanitizeFileName(info.filename);
			if (name === '') {
				problem = "The 'file' part has an empty file name";
				stream.resume();
				return;
			}
			const incoming = storage.newIncomingPath();
			const hash = createHash('sha256');
			let size = 0;
			const meter = new Transform({
				transform(chunk: Buffer, _encoding, callback) {
					hash.update(chunk);
					size += chunk.length;
					callback(null, chunk);
				},
			});
			const written = pipeline(stream, meter, createWriteStream(incoming)).then(() => ({
				size,
				sha256: hash.digest('hex'),
			}));
			written.catch(() => undefined);
			file = { name, incoming, stream, written };
		});
		parser.on('field', (field, value) => {
			if (field === 'rewrite') rewrite = value;
			else if (field === 'file' && !file) {
				problem ??= "The 'file' part has no file name (Content-Disposition filename)";
			}
		});
		parser.once('error', (error: Error) => {
			abort(errorReply(400, `The multipart body is malformed: ${error.message}`));
		});
		parser.once('close', () => {
			if (done) return;
			void (async () => {
				req.off('data', onData);
				if (problem || !file) {
					cleanup();
					finish({
						reply: errorReply(400, problem ?? "The multipart body has no part named 'file'"),
					});
					return;
				}
				let meta: { size: number; sha256: string };
				try {
					meta = await file.written;
				} catch (error) {
					cleanup();
					finish({
						reply: errorReply(500, `Could not store the file: ${(error as Error).message}`),
					});
					return;
				}
				if (done) return;
				// renameUploads: every store gets a new name, so nothing is ever replaced.
				const fileId = rename ? storage.freshName(scope, file.name) : file.name;
				if (storage.find(scope, fileId) && !isTrue(rewrite)) {
					cleanup();
					finish({
						reply: errorReply(
							409,
							`File '${file.name}' already exists in the temporary storage; send rewrite=true to replace it`,
						),
					});
					return;
				}
				const stored = storage.commit(
					scope,
					fileId,
					file.name,
					file.incoming,
					meta.size,
					meta.sha256,
				);
				finish({
					reply: {
						status: 200,
						body: { fileId: stored.fileId, url: null, resourceId: null, sourceId: null },
					},
					stored,
				});
			})();
		});
		req.pipe(parser);
	});
}
