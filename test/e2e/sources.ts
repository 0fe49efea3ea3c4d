/**
 * The S3 and FTP nightly examples (examples/s3-to-catalog-nightly.json, ftp-to-catalog-nightly.json)
 * as test/e2e/sources.test.ts runs them: their files in an s3rver bucket and a vsftpd folder (the
 * nightly files of nightly.ts), the change made between run 2 and run 3, the copies it publishes,
 * and what one execution of either did (Keep New Files' two outputs, the downloads, the loads, the
 * summary e-mail).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ExecutionRecord, FileSource, FtpServer, S3Server } from '../real-n8n';
import type { Example } from './examples';
import { loadExample, useCredentials } from './examples';
import {
	changedRaster,
	NIGHTLY_ADDED_OR_FIXED,
	NIGHTLY_FILES,
	NIGHTLY_NODES,
	nightlyOutcome,
	RASTERS,
	scheduledEvery,
} from './nightly';

/** The examples run by sources.test.ts (and so left out of e2e.test.ts's 3e). */
export const SOURCE_EXAMPLES = ['ftp-to-catalog-nightly.json', 's3-to-catalog-nightly.json'];

/** Node names both examples share. */
export const SOURCE_NODES = {
	filter: 'Only GeoTIFFs',
	keep: 'Keep files not loaded yet',
	download: 'Download the new ones',
	load: NIGHTLY_NODES.load,
	summary: 'Summarize',
};

/** A file in the listing that is not a GeoTIFF: the examples' Filter leaves it out. */
export const NOT_A_GEOTIFF = 'README.txt';

/** The folder both examples list: `/incoming` on FTP, `incoming/` in the bucket. */
const FOLDER = 'incoming';

export type SourceKind = 'S3' | 'FTP';

export interface Source {
	kind: SourceKind;
	/** The example in examples/. */
	file: string;
	/** Its node that lists the folder. */
	listNode: string;
	server: FileSource;
	/** The EverGIS user its copy loads as: the sandbox's uploads and tasks are told apart by owner. */
	user: string;
	/** Writes a file of the folder (FTP: with its modification time). */
	put(name: string, content: Buffer, mtime: Date): Promise<void>;
	/** How the file changes between run 2 and run 3. */
	change: string;
}

/**
 * FTP files get whole-minute modification times an hour apart (vsftpd lists recent files to the
 * minute): before, an hour and a half ago; after, half an hour ago.
 */
function times(): { before: Date; after: Date } {
	const minute = 60_000;
	const before = Math.floor((Date.now() - 90 * minute) / minute) * minute;
	return { before: new Date(before), after: new Date(before + 60 * minute) };
}

export function s3Source(server: S3Server, user: string): Source {
	return {
		kind: 'S3',
		file: 's3-to-catalog-nightly.json',
		listNode: 'List the bucket',
		server,
		user,
		put: (name, content) => server.put(`${FOLDER}/${name}`, content),
		change: 'nightly-1.tif gets new content (bytes appended: a new ETag)',
	};
}

export function ftpSource(server: FtpServer, user: string): Source {
	return {
		kind: 'FTP',
		file: 'ftp-to-catalog-nightly.json',
		listNode: 'List the FTP folder',
		server,
		user,
		put: (name, content, mtime) => server.put(`${FOLDER}/${name}`, content, { mtime }),
		change: 'nightly-1.tif is written again, same bytes and size, an hour later (a new modifyTime)',
	};
}

const fixture = (name: string) => readFileSync(join(RASTERS, name));
const at = times();

/** The files of runs 1 and 2, and a text file the examples' Filter leaves out. */
export async function fillSource(source: Source): Promise<void> {
	for (const [name, from] of Object.entries(NIGHTLY_FILES))
		await source.put(name, fixture(from), at.before);
	await source.put(NOT_A_GEOTIFF, Buffer.from('GeoTIFFs of the nightly load\n'), at.before);
}

/** Between run 2 and run 3: nightly-1.tif changes (source.change), nightly-4.tif is added, corrupt.tif fixed. */
export async function changeSource(source: Source): Promise<void> {
	const first = fixture(NIGHTLY_FILES['nightly-1.tif']);
	await source.put('nightly-1.tif', source.kind === 'S3' ? changedRaster(first) : first, at.after);
	for (const [name, from] of Object.entries(NIGHTLY_ADDED_OR_FIXED))
		await source.put(name, fixture(from), at.after);
}

/** The file names the server saw downloaded since the last call (sorted, once per download). */
export function takeDownloads(server: FileSource): string[] {
	const names = Object.entries(server.downloads()).flatMap(([path, count]) =>
		Array<string>(count).fill(path.split('/').pop()!),
	);
	server.resetDownloads();
	return names.sort();
}

/** A copy of the example to publish: credentials pointed at the imported ones, run every `seconds`. */
export function sourceWorkflow(
	source: Source,
	credentials: Record<string, { id: string; name: string }>,
	seconds: number,
): Example {
	return scheduledEvery(useCredentials(loadExample(source.file), credentials), seconds);
}

/** What one execution of a source example did, by file name (sorted). */
export function sourceRun(record: ExecutionRecord, source: Source) {
	const runData = record.data?.resultData.runData ?? {};
	const output = (node: string, index: number) =>
		(runData[node]?.[0]?.data?.main?.[index] ?? []).map((item) => item.json);
	// S3 Get Many gives Key (incoming/a.tif), FTP List gives name (a.tif).
	const nameOf = (json: Record<string, unknown>) =>
		String(json.name ?? json.Key)
			.split('/')
			.pop()!;
	const loadedBefore = output(SOURCE_NODES.keep, 1);
	return {
		listed: output(source.listNode, 0).map(nameOf).sort(),
		/** Keep New Files, first output. */
		new: output(SOURCE_NODES.keep, 0).map(nameOf).sort(),
		/** Keep New Files, second output (Loaded or Loading). */
		loadedBefore: loadedBefore.map(nameOf).sort(),
		/** Why each file went to the second output. */
		reasons: [
			...new Set(loadedBefore.map((json) => (json.evergis as { reason?: string })?.reason)),
		],
		downloaded: output(SOURCE_NODES.download, 0).map(nameOf).sort(),
		...nightlyOutcome(record),
		/** The summary e-mail's subject (null when the run sent none). */
		mail: (output(SOURCE_NODES.summary, 0)[0]?.subject as string | undefined) ?? null,
	};
}
