import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { randomUUID } from 'node:crypto';

import type { ExecutionRun, WorkflowJson } from '../test/real-n8n/cli';
import { importCredentials, importWorkflow, newN8nId, runN8n } from '../test/real-n8n/cli';
import type { N8nInstall } from '../test/real-n8n/install';
import { ensureN8nInstalled, N8N_VERSION } from '../test/real-n8n/install';
import type { UserFolder } from '../test/real-n8n/user-folder';
import { createUserFolder } from '../test/real-n8n/user-folder';
import type { GcLog } from './preload/gcLog';
import { PROBE_NODE_TYPE } from './probePackage';
import { USER } from './sandboxProcess';

// The n8n releases the bench runs the upload in, one user folder per release (the packed node, the
// bench probe package, the credential, one workflow per uploader), and one `n8n execute` per run.

export const TILING_TYPE = 'n8n-nodes-evergis.everGisTiling';

/** An n8n in the cache: the one the e2e suite installs, or another the compatibility work installed. */
export interface Release {
	version: string;
	major: number;
	install: N8nInstall;
	/** The Node.js version that runs it. */
	node: string;
	/** More environment for its processes. */
	env: Record<string, string>;
}

const cacheRoot = () =>
	process.env.EVERGIS_N8N_CACHE ?? join(homedir(), '.cache', 'n8n-nodes-evergis');

function readMarker(home: string): string {
	try {
		return readFileSync(join(home, '.install-complete'), 'utf8');
	} catch {
		return '';
	}
}

function compareVersions(a: string, b: string): number {
	const pa = a.split('.').map(Number);
	const pb = b.split('.').map(Number);
	for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
	return 0;
}

function releaseOf(version: string, install: N8nInstall, marker: string): Release {
	const major = Number(version.split('.')[0]);
	const label = /\bnode=(\S+)/.exec(marker)?.[1] ?? 'unknown';
	const env: Record<string, string> = {};
	// As the compatibility work found: n8n 1.x's default expression engine (isolated-vm) is not
	// built for the system's Node 20 here; the legacy engine runs its expressions.
	if (major < 2) env.N8N_EXPRESSION_ENGINE = 'legacy';
	return { version, major, install, node: label.replace(/^system-/, ''), env };
}

/**
 * 2.40.7 through scripts/real-n8n/install.sh (as the e2e suite does; a second run takes a second),
 * then every other `n8n-<version>` folder of the cache whose install has finished (its
 * `.install-complete` marker is there). Installs still under way are skipped, not waited for.
 */
export async function installedReleases(): Promise<{ releases: Release[]; skipped: string[] }> {
	const main = await ensureN8nInstalled();
	const releases = [releaseOf(N8N_VERSION, main, readMarker(main.home))];
	const skipped: string[] = [];
	const root = cacheRoot();
	for (const entry of readdirSync(root, { withFileTypes: true })) {
		const match = /^n8n-(\d+\.\d+\.\d+)$/.exec(entry.name);
		if (!entry.isDirectory() || !match || match[1] === N8N_VERSION) continue;
		const home = join(root, entry.name);
		const app = join(home, 'app');
		const n8nBin = join(app, 'node_modules', 'n8n', 'bin', 'n8n');
		const node = join(home, 'node', 'bin', 'node');
		const marker = readMarker(home);
		if (!marker || !existsSync(n8nBin) || !existsSync(node)) {
			skipped.push(`n8n ${match[1]} (its install had not finished)`);
			continue;
		}
		const version = match[1];
		const major = Number(version.split('.')[0]);
		const install = {
			version,
			major,
			home,
			app,
			node,
			nodeBinDir: join(home, 'node', 'bin'),
			n8nBin,
		};
		releases.push(releaseOf(match[1], install, marker));
	}
	releases.sort((a, b) => compareVersions(b.version, a.version));
	return { releases, skipped };
}

/** The node each workflow ends with, after Read/Write Files from Disk and the disk flush. */
export type Uploader = 'evergis' | 'httpRequest' | 'probeRaw' | 'probeRawDetach';

/** One measured run: an uploader's workflow, and how its n8n process is started. */
export type Entrant = Uploader | 'evergisOldScavenger';

export const ENTRANTS: Record<Entrant, { uploader: Uploader; node: string }> = {
	evergis: { uploader: 'evergis', node: 'EverGIS Tiling' },
	httpRequest: { uploader: 'httpRequest', node: 'HTTP Request' },
	probeRaw: { uploader: 'probeRaw', node: 'Probe raw' },
	probeRawDetach: { uploader: 'probeRawDetach', node: 'Probe raw detach' },
	evergisOldScavenger: { uploader: 'evergis', node: 'EverGIS Tiling' },
};

const NODE_NAME: Record<Uploader, string> = {
	evergis: 'EverGIS Tiling',
	httpRequest: 'HTTP Request',
	probeRaw: 'Probe raw',
	probeRawDetach: 'Probe raw detach',
};

/** The environment variable the workflows read the sandbox's token from (the non-EverGIS uploaders). */
export const TOKEN_ENV = 'BENCH_EVERGIS_TOKEN';

function uploadNode(
	uploader: Uploader,
	url: string,
	credentialId: string,
): Record<string, unknown> {
	const base = { id: newN8nId(), name: NODE_NAME[uploader], position: [660, 0] };
	switch (uploader) {
		case 'evergis':
			return {
				...base,
				type: TILING_TYPE,
				typeVersion: 1,
				credentials: { everGisApi: { id: credentialId, name: 'EverGIS bench' } },
				parameters: { resource: 'file', operation: 'upload', options: { keepOriginalNames: true } },
			};
		case 'httpRequest':
			return {
				...base,
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				parameters: {
					method: 'POST',
					url: `${url}/upload/file`,
					sendHeaders: true,
					headerParameters: {
						parameters: [{ name: 'Authorization', value: `=Bearer {{ $env.${TOKEN_ENV} }}` }],
					},
					sendBody: true,
					contentType: 'multipart-form-data',
					bodyParameters: {
						parameters: [
							{ parameterType: 'formData', name: 'rewrite', value: 'true' },
							{ parameterType: 'formBinaryData', name: 'file', inputDataFieldName: 'data' },
						],
					},
					options: { timeout: 3_600_000 },
				},
			};
		case 'probeRaw':
		case 'probeRawDetach':
			return {
				...base,
				type: PROBE_NODE_TYPE,
				typeVersion: 1,
				parameters: {
					mode: 'raw',
					url: `${url}/upload/file`,
					token: `={{ $env.${TOKEN_ENV} }}`,
					detach: uploader === 'probeRawDetach',
				},
			};
	}
}

/** Manual Trigger → Read/Write Files from Disk (the file) → Flush Disks (probe) → the uploader. */
function uploadWorkflow(uploader: Uploader, file: string, url: string, credentialId: string) {
	const name = NODE_NAME[uploader];
	const workflow: WorkflowJson = {
		name: `Bench: upload with ${name}`,
		// n8n 2.0.x refuses a workflow without one (a NOT NULL column); later releases make one.
		versionId: randomUUID(),
		nodes: [
			{
				id: newN8nId(),
				name: 'Start',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			},
			{
				id: newN8nId(),
				name: 'Read File',
				type: 'n8n-nodes-base.readWriteFile',
				typeVersion: 1,
				position: [220, 0],
				parameters: { operation: 'read', fileSelector: file, options: {} },
			},
			{
				id: newN8nId(),
				name: 'Flush Disks',
				type: PROBE_NODE_TYPE,
				typeVersion: 1,
				position: [440, 0],
				parameters: { mode: 'flush' },
			},
			uploadNode(uploader, url, credentialId),
		],
		connections: {
			Start: { main: [[{ node: 'Read File', type: 'main', index: 0 }]] },
			'Read File': { main: [[{ node: 'Flush Disks', type: 'main', index: 0 }]] },
			'Flush Disks': { main: [[{ node: name, type: 'main', index: 0 }]] },
		},
	};
	return workflow;
}

export interface RealN8nSetup {
	release: Release;
	folder: UserFolder;
	workflows: Map<Uploader, string>;
	/** Folder for the preload scripts' output. */
	logDir: string;
}

/** A user folder of `release` with both packages, the credential and one workflow per uploader. */
export async function setUpRelease(
	release: Release,
	options: {
		tarballs: string[];
		parentDir: string;
		fileDir: string;
		file: string;
		sandboxUrl: string;
		entrants: Entrant[];
	},
): Promise<RealN8nSetup> {
	const folder = await createUserFolder({
		n8nVersion: release.version,
		tarballs: options.tarballs,
		parentDir: options.parentDir,
		allowedDirs: [options.fileDir],
		env: release.env,
	});
	const [credentialId] = await importCredentials(folder, {
		name: 'EverGIS bench',
		type: 'everGisApi',
		data: { host: options.sandboxUrl, ...USER, ignoreSslIssues: false },
	});
	const uploaders = [...new Set(options.entrants.map((e) => ENTRANTS[e].uploader))];
	const ids = await importWorkflow(
		folder,
		uploaders.map((u) => uploadWorkflow(u, options.file, options.sandboxUrl, credentialId)),
	);
	const logDir = join(folder.root, 'gc-logs');
	mkdirSync(logDir);
	return { release, folder, workflows: new Map(uploaders.map((u, i) => [u, ids[i]])), logDir };
}

export interface RealRun {
	/** n8n's own executionTime of the uploading node, ms. */
	nodeMs: number;
	/** n8n's own executionTime of Read/Write Files from Disk, ms. */
	readMs: number;
	/** Full (mark-compact) garbage collections of the n8n process while the uploading node ran. */
	majorGcs: number;
	/** CPU time of the n8n process (all its threads) while the uploading node ran, ms. */
	cpuMs: number;
}

export interface Preloads {
	gcLog: string;
	oldScavengerLimit: string;
}

/**
 * `n8n execute` of one entrant's workflow, the GC log preloaded (and, for evergisOldScavenger, the
 * V8 flag); then the binary data the run stored (the whole file, every run) is deleted.
 * `nodeOptions` is added to NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=…` to profile n8n).
 */
export async function runEntrant(
	setup: RealN8nSetup,
	entrant: Entrant,
	token: string,
	preloads: Preloads,
	nodeOptions = '',
): Promise<RealRun> {
	const { uploader, node } = ENTRANTS[entrant];
	const id = setup.workflows.get(uploader);
	if (!id) throw new Error(`no workflow for ${uploader}`);
	const gcLog = join(setup.logDir, `${entrant}-${Date.now()}.json`);
	const requires = [preloads.gcLog];
	if (entrant === 'evergisOldScavenger') requires.push(preloads.oldScavengerLimit);
	const env: Record<string, string> = {
		[TOKEN_ENV]: token,
		BENCH_GC_LOG: gcLog,
		NODE_OPTIONS: [...requires.map((file) => `--require ${file}`), nodeOptions].join(' ').trim(),
	};
	const what = `n8n ${setup.release.version}, ${entrant}`;
	try {
		const result = await execute(setup, id, env);
		const keep = process.env.BENCH_N8N_LOG_DIR;
		if (keep) {
			mkdirSync(keep, { recursive: true });
			writeFileSync(
				join(keep, `${setup.release.version}-${entrant}-${Date.now()}.log`),
				result.lines.join('\n') + '\n',
			);
		}
		const runData = result.run.data.resultData.runData;
		const run = runData[node]?.[0];
		const read = runData['Read File']?.[0];
		// Older releases print the run before its status is set ('running'): the node's own run says.
		const error = result.run.data.resultData.error ?? run?.error;
		if (error || !run || (run.executionStatus ?? 'success') !== 'success') {
			const message = JSON.stringify(error ?? run?.executionStatus ?? 'no run').slice(0, 600);
			throw new Error(`${what}: the execution failed: ${message}`);
		}
		if (!run.startTime || run.executionTime === undefined) {
			throw new Error(`${what}: no timing in the run data of ${node}`);
		}
		const window = { from: run.startTime, to: run.startTime + run.executionTime };
		return {
			nodeMs: run.executionTime,
			readMs: read?.executionTime ?? NaN,
			...gcWindow(gcLog, window),
		};
	} finally {
		for (const dir of ['storage', 'binaryData']) {
			rmSync(join(setup.folder.n8nDir, dir), { recursive: true, force: true });
		}
	}
}

function gcWindow(file: string, window: { from: number; to: number }) {
	let log: GcLog;
	try {
		log = JSON.parse(readFileSync(file, 'utf8')) as GcLog;
	} catch {
		return { majorGcs: NaN, cpuMs: NaN };
	}
	const majorGcs = log.gcs.filter(
		([at, , kind]) => kind === 4 && at >= window.from && at <= window.to,
	).length;
	// The process's CPU time at the last sample before each end of the window.
	const cpuAt = (t: number) => {
		let value = NaN;
		for (const [at, ms] of log.cpu) if (at <= t) value = ms;
		return value;
	};
	return { majorGcs, cpuMs: cpuAt(window.to) - cpuAt(window.from) };
}

/**
 * `n8n execute --id --rawOutput` (as the library's executeWorkflow, which reads only the first form):
 * 2.x and 1.123 print the run data through their logger, one JSON log line whose message is the run;
 * 1.85 prints it as plain, indented JSON on stdout.
 */
async function execute(
	setup: RealN8nSetup,
	id: string,
	env: Record<string, string>,
): Promise<{ run: ExecutionRun; lines: string[] }> {
	const result = await runN8n(setup.folder, ['execute', `--id=${id}`, '--rawOutput'], {
		env: { N8N_LOG_LEVEL: 'info', N8N_LOG_FORMAT: 'json', ...env },
		timeoutMs: 20 * 60_000,
		allowFailure: true,
		name: `n8n execute ${id}`,
	});
	const isRun = (value: unknown): value is ExecutionRun =>
		typeof (value as ExecutionRun | undefined)?.data?.resultData === 'object';
	const parse = (text: string): unknown => {
		try {
			return JSON.parse(text);
		} catch {
			return undefined;
		}
	};
	const lines = result.stdout;
	for (const line of lines) {
		const message = (parse(line) as { message?: unknown } | undefined)?.message;
		const run = typeof message === 'string' ? parse(message) : undefined;
		if (isRun(run)) return { run, lines: result.lines };
	}
	const start = lines.indexOf('{');
	const end = lines.lastIndexOf('}');
	const run = start >= 0 && end > start ? parse(lines.slice(start, end + 1).join('\n')) : undefined;
	if (isRun(run)) return { run, lines: result.lines };
	throw new Error(
		`n8n execute --id=${id} printed no run data (exit ${JSON.stringify(result.exit)}); output:\n` +
			result.lines.slice(-40).join('\n'),
	);
}
