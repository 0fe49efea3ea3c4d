import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { UploadRecord } from './types';

// The users' temporary storage: files uploaded by /upload/file, named by fileId. Each user has
// one storage; with filesTiedToSession each login session has its own instead.

export interface StoredFile extends UploadRecord {
	path: string;
}

export interface StorageScope {
	owner: string;
	sid: string;
	tiedToSession: boolean;
}

/** The stored name for an uploaded file's name: no path, no control characters. */
export function sanitizeFileName(raw: string | undefined): string {
	if (raw === undefined) return '';
	const base = raw.split(/[/\\]/).pop() ?? '';
	// eslint-disable-next-line no-control-regex
	const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
	if (clean === '.' || clean === '..') return '';
	return clean;
}

export class FileStorage {
	private readonly files = new Map<string, StoredFile>();
	private readonly history: UploadRecord[] = [];
	private readonly filesDir: string;
	readonly incomingDir: string;

	constructor(root: string) {
		this.filesDir = join(root, 'files');
		this.incomingDir = join(root, 'incoming');
		mkdirSync(this.filesDir, { recursive: true });
		mkdirSync(this.incomingDir, { recursive: true });
	}

	private key(scope: StorageScope, name: string): string {
		return [scope.owner, scope.tiedToSession ? scope.sid : '', name].join('\u0000');
	}

	newIncomingPath(): string {
		return join(this.incomingDir, randomUUID());
	}

	find(scope: StorageScope, name: string): StoredFile | undefined {
		return this.files.get(this.key(scope, name));
	}

	/** A name no file of the scope has: `u<6 hex>_<name>` (renameUploads). */
	freshName(scope: StorageScope, name: string): string {
		for (;;) {
			const candidate = `u${randomBytes(3).toString('hex')}_${name}`;
			if (!this.find(scope, candidate)) return candidate;
		}
	}

	/**
	 * Moves a fully received upload into place as `fileId` (replacing a file of that name).
	 * Synchronous, so that checking for an existing name and storing cannot interleave with
	 * another upload.
	 */
	commit(
		scope: StorageScope,
		fileId: string,
		sentName: string,
		incomingPath: string,
		size: number,
		sha256: string,
	): StoredFile {
		const key = this.key(scope, fileId);
		const path = join(this.filesDir, createHash('sha256').update(key).digest('hex'));
		renameSync(incomingPath, path);
		const record: UploadRecord = {
			fileId,
			sentName,
			owner: scope.owner,
			size,
			sha256,
			storedAt: new Date().toISOString(),
			session: scope.sid,
			overwrote: this.files.has(key),
		};
		const stored: StoredFile = { ...record, path };
		this.files.set(key, stored);
		this.history.push(record);
		return stored;
	}

	async discard(incomingPath: string): Promise<void> {
		await rm(incomingPath, { force: true });
	}

	/** Every store, in order (an overwrite is a new record). */
	records(): UploadRecord[] {
		return this.history.map((r) => ({ ...r }));
	}
}
