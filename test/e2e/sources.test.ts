/**
 * End to end with real file sources: examples/s3-to-catalog-nightly.json against s3rver and
 * examples/ftp-to-catalog-nightly.json against vsftpd (test/real-n8n/sources.ts), both published in
 * a real n8n 2.40.7 with the packed tarball installed as README.md says, started by their Schedule
 * Trigger (every 30 s) under one `n8n start`, against the local EverGIS sandbox and a local SMTP
 * sink. Downloads are counted at each server, loads at the sandbox, e-mails at the sink, outcomes
 * read from n8n's execution records.
 * What each test checks: test/e2e/README.md (test 6).
 * Alone: `npx jest --config jest.e2e.config.js test/e2e/sources.test.ts`.
 */
import {
	createUserFolder,
	ensureN8nInstalled,
	importCredentials,
	importWorkflow,
	listExecutions,
	logStep,
	packPackage,
	publishWorkflow,
	startFtpServer,
	startN8n,
	startS3Server,
	stopAll,
	timingSummary,
	waitForExecutions,
	type ExecutionRecord,
	type FtpServer,
	type N8nProcess,
	type S3Server,
	type UserFolder,
} from '../real-n8n';
import { startSandbox, type Sandbox, type TaskRecord } from '../../sandbox';
import { installAsReadmeSays } from './readme-install';
import { nightlyCounts, quietBetweenRuns, RUN_3_LOADS, sandboxMark } from './nightly';
import {
	changeSource,
	fillSource,
	ftpSource,
	NOT_A_GEOTIFF,
	s3Source,
	SOURCE_EXAMPLES,
	sourceRun,
	sourceWorkflow,
	takeDownloads,
	type Source,
	type SourceKind,
} from './sources';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { PartTimings } from './support';

/** How often the published copies fire (their Schedule Trigger rewritten from 02:00). */
const EVERY_S = 30;
/** Task duration in the sandbox. */
const TASK_MS = 1500;
const CATALOG = 'demo.landsat_images';
/** The S3 copy loads as demo (the catalog's owner), the FTP copy as alice (shared with her, read and write). */
const USERS = { S3: 'demo', FTP: 'alice' } as const;
const PASSWORDS = { demo: 'demo-password', alice: 'alice-password' };
/** Each copy sends its summary e-mail as a user of its own, so the SMTP sink tells them apart. */
const MAILERS = { S3: 'mailer-s3', FTP: 'mailer-ftp' } as const;
const GOOD = ['nightly-1.tif', 'nightly-2.tif', 'nightly-3.tif'];
const ALL = ['corrupt.tif', ...GOOD];
const KINDS: SourceKind[] = ['S3', 'FTP'];
/** What each run lists: the examples' Filter leaves the text file out. */
const LISTED = [...ALL, NOT_A_GEOTIFF].sort();

const timings = new PartTimings();

let sandbox: Sandbox;
let ftp: FtpServer;
let s3: S3Server;
let smtp: SmtpSink;
let folder: UserFolder;
let main: N8nProcess | undefined;
const sources = {} as Record<SourceKind, Source>;
/** The example files imported into n8n, with the workflow ids they got. */
const imported = new Map<string, string>();
const workflowIds = {} as Record<SourceKind, string>;

/** What happened between two moments of the schedule: counted at the servers and the sandbox. */
interface Window {
	label: string;
	/** When it was counted. */
	at: number;
	/** Executions per workflow at that moment (all finished). */
	executions: number;
	downloads: Record<SourceKind, string[]>;
	sandbox: Record<SourceKind, { uploads: string[]; tasks: TaskRecord[] }>;
}

const windows: Window[] = [];
let sandboxAt = { uploads: 0, tasks: 0 };
let changedAt = 0;
/** Every execution of each copy, by id, with run data, once the last window is counted. */
const records = {} as Record<SourceKind, ExecutionRecord[]>;

beforeAll(async () => {
	await timings.run('6. setup: n8n 2.40.7 installed (scripts/real-n8n/install.sh)', () =>
		ensureN8nInstalled(),
	);
	const tarball = await timings.run('6. setup: npm run build + npm pack', () => packPackage());
	await timings.run(
		"6. setup: sandbox, vsftpd, s3rver, user folder (README's tarball install), credentials, both examples imported + published",
		async () => {
			sandbox = await startSandbox({ taskDurationMs: TASK_MS });
			sandbox.shareCatalog(CATALOG, USERS.FTP, 'read,write');
			[ftp, s3, smtp] = await Promise.all([
				startFtpServer(),
				startS3Server({ bucket: 'rasters' }),
				startSmtpSink(),
			]);
			sources.S3 = s3Source(s3, USERS.S3);
			sources.FTP = ftpSource(ftp, USERS.FTP);
			for (const kind of KINDS) await fillSource(sources[kind]);

			folder = await createUserFolder();
			await installAsReadmeSays(folder, tarball);
			const names = {
				S3: { evergis: 'EverGIS (S3 loads)', source: 'S3 source', smtp: 'SMTP (S3 loads)' },
				FTP: { evergis: 'EverGIS (FTP loads)', source: 'FTP source', smtp: 'SMTP (FTP loads)' },
			};
			const [s3EverGis, ftpEverGis, s3Id, ftpId, s3Smtp, ftpSmtp] = await importCredentials(
				folder,
				[
					...KINDS.map((kind) => ({
						name: names[kind].evergis,
						type: 'everGisApi',
						data: {
							host: sandbox.url,
							username: USERS[kind],
							password: PASSWORDS[USERS[kind]],
							ignoreSslIssues: false,
						},
					})),
					{ name: names.S3.source, type: 's3', data: s3.credentials },
					{ name: names.FTP.source, type: 'ftp', data: ftp.credentials },
					...KINDS.map((kind) => ({
						name: names[kind].smtp,
						type: 'smtp',
						// The fields of n8n-nodes-base's Smtp credentials in 2.40.7.
						data: {
							user: MAILERS[kind],
							password: `${MAILERS[kind]}-password`,
							host: smtp.host,
							port: smtp.port,
							secure: false,
							disableStartTls: false,
							hostName: 'n8n-e2e.localhost',
						},
					})),
				],
			);
			const workflows = {
				S3: sourceWorkflow(
					sources.S3,
					{
						everGisApi: { id: s3EverGis, name: names.S3.evergis },
						s3: { id: s3Id, name: names.S3.source },
						smtp: { id: s3Smtp, name: names.S3.smtp },
					},
					EVERY_S,
				),
				FTP: sourceWorkflow(
					sources.FTP,
					{
						everGisApi: { id: ftpEverGis, name: names.FTP.evergis },
						ftp: { id: ftpId, name: names.FTP.source },
						smtp: { id: ftpSmtp, name: names.FTP.smtp },
					},
					EVERY_S,
				),
			};
			const ids = await importWorkflow(
				folder,
				KINDS.map((kind) => workflows[kind]),
			);
			for (const [index, kind] of KINDS.entries()) {
				workflowIds[kind] = ids[index];
				imported.set(sources[kind].file, ids[index]);
				await publishWorkflow(folder, ids[index]);
			}
		},
	);
	await timings.run('6. setup: n8n start', async () => {
		sandboxAt = sandboxMark(sandbox);
		main = await startN8n(folder);
		await logStep('n8n start ready', () => main!.waitReady());
	});
});

afterAll(async () => {
	await logStep('stop n8n start', () => main?.stop() ?? Promise.resolve(undefined));
	await stopAll();
	await Promise.all([sandbox?.close(), ftp?.stop(), s3?.stop(), smtp?.close()]);
	folder?.cleanup();
	process.stderr.write(
		`\n[e2e] parts:\n${timings.summary()}\n\n[e2e] steps:\n${timingSummary()}\n`,
	);
});

/** What the servers and the sandbox counted since the last window. */
function countWindow(label: string, executions: number): Window {
	const window: Window = {
		label,
		at: Date.now(),
		executions,
		downloads: { S3: takeDownloads(s3), FTP: takeDownloads(ftp) },
		sandbox: {
			S3: nightlyCounts(sandbox, sandboxAt, USERS.S3),
			FTP: nightlyCounts(sandbox, sandboxAt, USERS.FTP),
		},
	};
	sandboxAt = sandboxMark(sandbox);
	windows.push(window);
	return window;
}

/** The executions of each copy, sorted by id. */
function byWorkflow(list: ExecutionRecord[]): Record<SourceKind, ExecutionRecord[]> {
	const of = (kind: SourceKind) =>
		list
			.filter((record) => record.workflowId === workflowIds[kind])
			.sort((a, b) => Number(a.id) - Number(b.id));
	return { S3: of('S3'), FTP: of('FTP') };
}

const finished = (record: ExecutionRecord) =>
	!['new', 'running', 'waiting'].includes(record.status);

/** Waits until each copy has run `n` times, every run finished; then counts the window. */
async function afterRun(n: number, label: string): Promise<Window> {
	await logStep(`6. ${label} (execution ${n} of each copy) ended`, () =>
		waitForExecutions(folder, {
			timeoutMs: 4 * EVERY_S * 1000,
			until: (list) => {
				const runs = byWorkflow(list);
				return KINDS.every((kind) => runs[kind].length >= n) && list.every(finished);
			},
		}),
	);
	return countWindow(label, n);
}

test('6. both examples published and started by their Schedule Trigger under one n8n start: run 1, run 2, the sources changed between two runs, run 3, run 4; the runs of both at the same ticks, none overlapping the next', async () => {
	await timings.run('6. four scheduled runs of each (every 30 s)', async () => {
		await afterRun(1, 'run 1');
		await afterRun(2, 'run 2');
		const quiet = await logStep('6. a quiet moment between two runs', () =>
			quietBetweenRuns(folder, EVERY_S),
		);
		changedAt = quiet.at;
		const before = byWorkflow(quiet.executions);
		expect(before.S3.length).toBe(before.FTP.length);
		countWindow('runs after run 2, before the change', before.S3.length);
		for (const kind of KINDS) await changeSource(sources[kind]);
		const changed = Date.now();
		await afterRun(before.S3.length + 1, 'run 3');
		await afterRun(before.S3.length + 2, 'run 4');
		Object.assign(records, byWorkflow(await listExecutions(folder, { includeData: true })));

		const period = EVERY_S * 1000;
		process.stderr.write(
			`[e2e] sources changed in ${changed - changedAt} ms at ${new Date(changedAt).toISOString()}\n` +
				KINDS.flatMap((kind) =>
					records[kind].map(
						(record, index) =>
							`[e2e] ${kind} execution ${index + 1}: ${record.id} ${record.mode} ${record.status} ` +
							`${record.startedAt} → ${record.stoppedAt} ${JSON.stringify(sourceRun(record, sources[kind]))}`,
					),
				).join('\n') +
				'\n' +
				windows
					.map(
						(window) =>
							`[e2e] counted after ${window.label}: downloads ${JSON.stringify(window.downloads)}, ` +
							`sandbox ${JSON.stringify(
								Object.fromEntries(
									KINDS.map((kind) => [
										kind,
										{
											uploads: window.sandbox[kind].uploads,
											tasks: window.sandbox[kind].tasks.map((task) => task.status),
										},
									]),
								),
							)}`,
					)
					.join('\n') +
				'\n',
		);

		const last = windows[windows.length - 1].executions;
		for (const kind of KINDS) {
			// Started by the trigger, each run ended well (the failed file is an item, not an error).
			expect(records[kind].length).toBeGreaterThanOrEqual(last);
			for (const record of records[kind].slice(0, last))
				expect([record.mode, record.status]).toEqual(['trigger', 'success']);
		}
		for (let index = 0; index < last; index++) {
			const started = KINDS.map((kind) => Date.parse(records[kind][index].startedAt!));
			// Both copies at the same tick (a whole multiple of the period).
			expect(Math.abs(started[0] - started[1])).toBeLessThan(5_000);
			expect(started[0] % period).toBeLessThan(5_000);
		}
		// Each window counted only its own runs: the next run of either copy started after it.
		for (const window of windows) {
			for (const kind of KINDS) {
				const next = records[kind][window.executions];
				if (next) expect(Date.parse(next.startedAt!)).toBeGreaterThan(window.at);
			}
		}
		// The change came between two runs: those before it had ended, those after started later.
		for (const kind of KINDS) {
			const split = windows[2].executions;
			expect(Date.parse(records[kind][split - 1].stoppedAt!)).toBeLessThan(changedAt);
			expect(Date.parse(records[kind][split].startedAt!)).toBeGreaterThan(changed);
		}
	});
});

test('6. both examples (S3 and FTP) were imported into this n8n and ran', () => {
	expect([...imported.keys()].sort()).toEqual([...SOURCE_EXAMPLES].sort());
	for (const kind of KINDS) expect(records[kind]?.length).toBeGreaterThanOrEqual(4);
});

describe.each(KINDS)('6. %s', (kind) => {
	const run = (index: number) => sourceRun(records[kind][index], sources[kind]);
	const counted = (window: Window) => ({
		downloads: window.downloads[kind],
		uploads: window.sandbox[kind].uploads,
		tasks: window.sandbox[kind].tasks.map((task) => task.status).sort(),
	});

	test('run 1 downloads and loads every GeoTIFF once (corrupt.tif fails), never the text file', () => {
		expect(run(0)).toEqual({
			listed: LISTED,
			new: ALL,
			loadedBefore: [],
			reasons: [],
			downloaded: ALL,
			completed: GOOD,
			skipped: [],
			failed: ['corrupt.tif'],
			mail: 'EverGIS nightly load: 3 loaded, 1 failed, 0 loaded before',
		});
		expect(counted(windows[0])).toEqual({
			downloads: ALL,
			uploads: ALL,
			tasks: ['Completed', 'Completed', 'Completed', 'Failed'],
		});
		expect(windows.flatMap((window) => window.downloads[kind])).not.toContain(NOT_A_GEOTIFF);
	});

	// The rule of the memory: a file whose task failed loads again. So run 2 downloads nothing but
	// corrupt.tif, which fails again; so does any run before the change.
	test('run 2 (and any before the change) downloads and loads only corrupt.tif again, whose task failed; the others are Loaded', () => {
		const before = windows[2].executions;
		for (let index = 1; index < before; index++) {
			expect(run(index)).toEqual({
				listed: LISTED,
				new: ['corrupt.tif'],
				loadedBefore: GOOD,
				reasons: ['alreadyLoaded'],
				downloaded: ['corrupt.tif'],
				completed: [],
				skipped: [],
				failed: ['corrupt.tif'],
				mail: 'EverGIS nightly load: 0 loaded, 1 failed, 3 loaded before',
			});
		}
		expect(counted(windows[1])).toEqual({
			downloads: ['corrupt.tif'],
			uploads: ['corrupt.tif'],
			tasks: ['Failed'],
		});
		const extra = before - 2;
		expect(counted(windows[2])).toEqual({
			downloads: Array<string>(extra).fill('corrupt.tif'),
			uploads: Array<string>(extra).fill('corrupt.tif'),
			tasks: Array<string>(extra).fill('Failed'),
		});
	});

	test(`run 3 after the change (${kind === 'S3' ? 'a new ETag' : 'a new modifyTime, same size'}, one added, corrupt.tif fixed) downloads and loads exactly those three`, () => {
		const index = windows[3].executions - 1;
		expect(run(index)).toEqual({
			listed: [...LISTED, 'nightly-4.tif'].sort(),
			new: RUN_3_LOADS,
			loadedBefore: ['nightly-2.tif', 'nightly-3.tif'],
			reasons: ['alreadyLoaded'],
			downloaded: RUN_3_LOADS,
			completed: RUN_3_LOADS,
			skipped: [],
			failed: [],
			mail: 'EverGIS nightly load: 3 loaded, 0 failed, 2 loaded before',
		});
		expect(counted(windows[3])).toEqual({
			downloads: RUN_3_LOADS,
			uploads: RUN_3_LOADS,
			tasks: ['Completed', 'Completed', 'Completed'],
		});
	});

	test('run 4 downloads and loads nothing: every file is Loaded', () => {
		const index = windows[4].executions - 1;
		expect(run(index)).toEqual({
			listed: [...LISTED, 'nightly-4.tif'].sort(),
			new: [],
			loadedBefore: [...ALL, 'nightly-4.tif'].sort(),
			reasons: ['alreadyLoaded'],
			downloaded: [],
			completed: [],
			skipped: [],
			failed: [],
			mail: 'EverGIS nightly load: 0 loaded, 0 failed, 5 loaded before',
		});
		expect(counted(windows[4])).toEqual({ downloads: [], uploads: [], tasks: [] });
	});

	test('every run sent one summary e-mail, the one its Summarize node wrote (also run 4, which loaded nothing)', () => {
		const last = windows[windows.length - 1].executions;
		const mails = smtp.messages.filter((mail) => mail.auth?.user === MAILERS[kind]);
		expect(mails.slice(0, last).map((mail) => mail.subject)).toEqual(
			records[kind].slice(0, last).map((record) => sourceRun(record, sources[kind]).mail),
		);
		expect(mails[0].text).toMatch(/^FAILED corrupt\.tif: Tiling task .* ended Failed: /m);
	});
});
