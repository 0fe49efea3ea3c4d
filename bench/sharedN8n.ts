import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import type { SandboxStats } from '../sandbox';
import type { ExecutionRecord, N8nProcess, UserFolder, WorkflowJson } from '../test/real-n8n';
import {
	N8N_VERSION,
	createUserFolder,
	importCredentials,
	importWorkflow,
	listExecutions,
	newN8nId,
	packPackage,
	publishWorkflow,
	startN8n,
	stopAll,
	waitForExecutions,
	waitForWebhook,
} from '../test/real-n8n';
import { spread } from './measure';
import { SECTION, sec, times, withSpread } from './report';
import { SandboxProcess, USER } from './sandboxProcess';
import type { BenchContext } from './sharedServer';
import { SHARED, inProcessFigures } from './sharedServer';

// Issue 10's cross-check: "a figure from the in-process engine holds only once the same figure
// inside a real n8n agrees". The adaptive shared-server case (a 6-request server, three executions
// at once, 40 small files each) inside the real n8n 2.40.7 that the e2e suite installs: the package
// packed and installed from its tarball, one `n8n start` (SQLite), three published workflows
// Webhook → Read/Write Files from Disk → EverGIS Tiling, each with a credential of its own, started
// by three webhook calls at once. Three `n8n execute` processes on one user folder would share its
// SQLite database and crash journal; one `n8n start` needs one boot for all rounds.

/** Rounds of three executions; every round has workflows and credentials of its own (fresh tokens). */
const ROUNDS = 2;
const [MAX_ACTIVE, EXECUTIONS] = SHARED.configs[0];
const PACKAGE = 'n8n-nodes-evergis';

function workflow(path: string, credentialId: string, filesGlob: string): WorkflowJson {
	return {
		name: `Bench shared server ${path}`,
		nodes: [
			{
				id: newN8nId(),
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: randomUUID(),
				parameters: { path, httpMethod: 'POST', responseMode: 'onReceived', options: {} },
			},
			{
				id: newN8nId(),
				name: 'Read Files',
				type: 'n8n-nodes-base.readWriteFile',
				typeVersion: 1.1,
				position: [220, 0],
				parameters: { operation: 'read', fileSelector: filesGlob, options: {} },
			},
			{
				id: newN8nId(),
				name: 'EverGIS',
				type: `${PACKAGE}.everGisTiling`,
				typeVersion: 1,
				position: [440, 0],
				credentials: { everGisApi: { id: credentialId, name: `EverGIS ${path}` } },
				parameters: {
					resource: 'raster',
					operation: 'uploadToCatalog',
					catalog: { __rl: true, mode: 'name', value: 'demo.landsat_images' },
					options: { pollInterval: SHARED.pollInterval },
				},
			},
		],
		connections: {
			Webhook: { main: [[{ node: 'Read Files', type: 'main', index: 0 }]] },
			'Read Files': { main: [[{ node: 'EverGIS', type: 'main', index: 0 }]] },
		},
	};
}

interface N8nRun {
	wallMs: number;
	failed: number;
	stats: SandboxStats;
	errors: string[];
}

/** The EverGIS node's run in an execution: its start, end and output. */
function nodeRun(record: ExecutionRecord) {
	const run = record.data?.resultData.runData.EverGIS?.[0];
	if (!run?.startTime) {
		throw new Error(`execution ${record.id} (${record.status}) has no EverGIS run`);
	}
	const items = run.data?.main?.[0] ?? [];
	const completed = items.filter((item) => item.json.status === 'Completed').length;
	const error = (run.error ?? record.data?.resultData.error) as { message?: string } | undefined;
	return {
		start: run.startTime,
		end: run.startTime + (run.executionTime ?? 0),
		completed,
		error: error?.message,
	};
}

export async function sharedN8nSection(ctx: BenchContext): Promise<void> {
	const section = `${SECTION.sharedServerInN8n}. The shared-server case inside a real n8n ${N8N_VERSION} (package from its tarball, one n8n start, SQLite): sandbox maxActiveRequests ${MAX_ACTIVE}, ${EXECUTIONS} webhook-started executions at once, ${SHARED.items} small files each, Poll Interval ${SHARED.pollInterval} s`;
	const sandbox = await SandboxProcess.start(ctx.buildRoot, {
		latencyMs: SHARED.latencyMs,
		taskDurationMs: SHARED.taskMs,
		storageDir: join(ctx.tmp, 'sandbox-shared-n8n'),
		log: false,
		maxActiveRequests: MAX_ACTIVE,
	});
	ctx.sandboxes.push(sandbox);
	let folder: UserFolder | undefined;
	let main: N8nProcess | undefined;
	const runs: N8nRun[] = [];
	try {
		ctx.log(`real n8n: build, pack, user folder, ${ROUNDS * EXECUTIONS} credentials and workflows`);
		const tarball = await packPackage();
		folder = await createUserFolder({ tarballs: [tarball], logLevel: 'warn' });
		const filesDir = join(folder.dataDir, 'shared');
		mkdirSync(filesDir);
		for (let i = 0; i < SHARED.items; i++) {
			copyFileSync(ctx.smallFile, join(filesDir, `raster-${String(i).padStart(2, '0')}.tif`));
		}
		const slots = Array.from({ length: ROUNDS * EXECUTIONS }, (_, i) => ({
			path: `bench-shared-${Math.floor(i / EXECUTIONS) + 1}-${(i % EXECUTIONS) + 1}`,
		}));
		const credentialIds = await importCredentials(
			folder,
			slots.map(({ path }) => ({
				name: `EverGIS ${path}`,
				type: 'everGisApi',
				data: { host: sandbox.url, ...USER },
			})),
		);
		const workflows = slots.map(({ path }, i) =>
			workflow(path, credentialIds[i], `${filesDir}/*.tif`),
		);
		const workflowIds = await importWorkflow(folder, workflows);
		for (const id of workflowIds) await publishWorkflow(folder, id);
		main = await startN8n(folder);
		await main.waitReady();
		for (const { path } of slots) await waitForWebhook(main, path);

		for (let round = 0; round < ROUNDS; round++) {
			const ids = workflowIds.slice(round * EXECUTIONS, (round + 1) * EXECUTIONS);
			const paths = slots.slice(round * EXECUTIONS, (round + 1) * EXECUTIONS).map((s) => s.path);
			ctx.log(`real n8n: round ${round + 1}/${ROUNDS}, ${paths.join(', ')}`);
			await sandbox.resetStats();
			const n8n = main;
			await Promise.all(
				paths.map(async (path) => {
					const response = await fetch(n8n.webhookUrl(path), {
						method: 'POST',
						headers: { 'content-type': 'application/json' },
						body: '{}',
					});
					if (response.status !== 200) {
						throw new Error(`webhook ${path}: HTTP ${response.status} ${await response.text()}`);
					}
				}),
			);
			const records = await waitForExecutions(folder, {
				includeData: true,
				timeoutMs: 10 * 60_000,
				until: (all) => {
					const mine = all.filter((r) => ids.includes(r.workflowId));
					return (
						mine.length === EXECUTIONS &&
						mine.every((r) => !['new', 'running', 'waiting'].includes(r.status))
					);
				},
			});
			const stats = await sandbox.counters();
			const nodes = records.filter((r) => ids.includes(r.workflowId)).map(nodeRun);
			const run: N8nRun = {
				wallMs: Math.max(...nodes.map((n) => n.end)) - Math.min(...nodes.map((n) => n.start)),
				failed: nodes.reduce((sum, n) => sum + SHARED.items - (n.error ? 0 : n.completed), 0),
				stats,
				errors: nodes.flatMap((n) => (n.error ? [n.error] : [])),
			};
			runs.push(run);
			const answers = Object.values(stats.answers).reduce((s, n) => s + n, 0);
			ctx.log(
				`  wall ${sec(run.wallMs)}; failed ${run.failed}; logins ${stats.logins} (requests ${stats.requests.login}, refused ${stats.refused.login}); 419 ${(((stats.answers['419'] ?? 0) / answers) * 100).toFixed(1)} % of ${answers}; peak ${stats.peakActiveRequests}, at limit ${(stats.load.shareAtLimit * 100).toFixed(1)} %${run.errors.length ? `; errors: ${run.errors.join(' | ')}` : ''}`,
			);
		}
		// Every round's executions are there (nothing else ran in this n8n).
		const all = await listExecutions(folder);
		ctx.notes.push(
			`Real n8n: ${all.length} executions recorded (${[...new Set(all.map((r) => `${r.mode} ${r.status}`))].join(', ')}); the rounds ran one after the other in the same n8n.`,
		);
	} finally {
		await main?.stop();
		await stopAll();
		folder?.cleanup();
		await sandbox.stop();
	}

	const inProcess = inProcessFigures.get(MAX_ACTIVE);
	const share419 = (s: SandboxStats) =>
		(s.answers['419'] ?? 0) / Object.values(s.answers).reduce((sum, n) => sum + n, 0);
	const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
	const int = (v: number) => v.toFixed(0);
	const wall = spread(runs.map((r) => r.wallMs));
	const failed = spread(runs.map((r) => r.failed));
	const logins = spread(runs.map((r) => r.stats.logins));
	const ip = (show: string | undefined) =>
		inProcess ? `in-process: ${show}` : 'in-process: not run';
	ctx.rows.push({
		section,
		figure: `Wall time of the ${EXECUTIONS} executions (the EverGIS node's first start to its last end, from n8n's run data); ${ROUNDS} rounds`,
		measured: withSpread(wall, sec),
		baseline: ip(inProcess && withSpread(inProcess.wall, sec)),
		ratio: inProcess ? `${times(wall.median / inProcess.wall.median)} the in-process figure` : '',
		goal: 'agrees with the in-process figure',
		verdict: 'info',
	});
	ctx.rows.push({
		section,
		figure: 'Failed items',
		measured: withSpread(failed, int),
		baseline: ip(inProcess && withSpread(inProcess.failed, int)),
		ratio: '',
		goal: '0',
		verdict: failed.max === 0 ? 'PASS' : 'MISS',
	});
	ctx.rows.push({
		section,
		figure: 'Logins (login requests; refused)',
		measured: `${withSpread(logins, int)} (${withSpread(
			spread(runs.map((r) => r.stats.requests.login)),
			int,
		)}; ${withSpread(spread(runs.map((r) => r.stats.refused.login)), int)})`,
		baseline: ip(inProcess && withSpread(inProcess.logins, int)),
		ratio: '',
		goal: `≤ 1 per execution (${EXECUTIONS})`,
		verdict: logins.max <= EXECUTIONS ? 'PASS' : 'MISS',
	});
	ctx.rows.push({
		section,
		figure: 'Share of 419 answers; share of time at the limit; peak in process',
		measured: `${withSpread(spread(runs.map((r) => share419(r.stats))), pct)}; ${withSpread(
			spread(runs.map((r) => r.stats.load.shareAtLimit)),
			pct,
		)}; ${withSpread(spread(runs.map((r) => r.stats.peakActiveRequests)), int)}`,
		baseline: ip(
			inProcess &&
				`${withSpread(inProcess.share419, pct)}; ${withSpread(inProcess.atLimit, pct)}; ${withSpread(inProcess.peak, int)}`,
		),
		ratio: '',
		goal: 'agrees with the in-process figure',
		verdict: 'info',
	});
}

export function sharedN8nMethod(): string {
	return `**Real n8n cross-check**: the package built, packed (\`npm pack\`) and installed from its tarball into a throwaway user folder of the real n8n ${N8N_VERSION} (Node 24) that scripts/real-n8n/install.sh installs; one \`n8n start\` (SQLite, regular mode: the three executions run in that one process, not in three workers) with ${ROUNDS * EXECUTIONS} published workflows Webhook → Read/Write Files from Disk (${SHARED.items} copies of the small raster) → EverGIS Tiling (Raster → Upload to Catalog, Poll Interval ${SHARED.pollInterval} s), each with an EverGIS credential of its own (no token yet). Each round calls ${EXECUTIONS} webhooks at once (the sandbox's stats reset just before); the wall time is the EverGIS node's first \`startTime\` to its last \`startTime + executionTime\` in n8n's run data, as the in-process rows measure from execute() start to end; the baseline is section ${SECTION.sharedServer}'s adaptive rows (maxActiveRequests ${MAX_ACTIVE}) of the same bench run. ${ROUNDS} rounds: each costs an n8n CLI boot per workflow to publish (3 to 12 s each), so fewer rounds than in-process.`;
}
