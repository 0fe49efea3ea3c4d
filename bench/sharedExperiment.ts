import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { LoggedRequest } from './sandboxProcess';
import { SandboxProcess } from './sandboxProcess';
import type { NodePatch } from './sharedProtocol';
import { SHARED, runTogether } from './sharedServer';

// A diagnostic beside `npm run bench` (not part of it): the shared-server case with variants of the
// node's constants side by side, round after round, and optionally a timeline of the server.
//
//   npx tsc -p bench/tsconfig.json && \
//   MAX=6 EXECS=3 ROUNDS=3 TIMELINE=1 \
//   VARIANTS='[{}, {"fixedLimit":2}, {"retry":{"busyBaseDelayMs":500,"busyMaxDelayMs":20000}}]' \
//   node build/bench-run/bench/sharedExperiment.js
//
// A variant is a NodePatch (bench/sharedProtocol.ts): fixedLimit, fixedPoll, retry / limit (values for
// RETRY / REQUEST_LIMIT), progressRetries. Prints per run: the wall time, 419s, the time the server
// spent with no request in process; with SHOW=1 each execution's retries and request limit over time;
// with TIMELINE=1 the server's requests in process and answers per 250 ms.

const BUILD_ROOT = resolve(__dirname, '..');
const SMALL = join(BUILD_ROOT, '..', '..', 'test', 'fixtures', 'rasters', 'rgb-byte-tenth.tif');
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

function timeline(requests: LoggedRequest[]): string {
	const BIN = 250;
	const t0 = Math.min(...requests.map((r) => r.at - r.ms));
	const end = Math.max(...requests.map((r) => r.at));
	const lines: string[] = [];
	for (let bin = t0; bin < end; bin += BIN) {
		let busyMs = 0;
		let refused = 0;
		const answered: Record<string, number> = {};
		for (const r of requests) {
			busyMs += Math.max(0, Math.min(r.at, bin + BIN) - Math.max(r.at - r.ms, bin));
			if (r.at < bin || r.at >= bin + BIN) continue;
			if (r.status === '419') refused++;
			const kind = /progress/.test(r.path)
				? 'progress'
				: /upload/.test(r.path)
					? 'upload'
					: /scheduler/.test(r.path)
						? 'task'
						: 'other';
			if (r.status !== '419') answered[kind] = (answered[kind] ?? 0) + 1;
		}
		lines.push(
			`  ${((bin - t0) / 1000).toFixed(2)} s: in process ${(busyMs / BIN).toFixed(1)}, 419 × ${refused}, answered ${JSON.stringify(answered)}`,
		);
	}
	return lines.join('\n');
}

async function main(): Promise<void> {
	const maxActive = env('MAX', SHARED.configs[0][0]);
	const executions = env('EXECS', SHARED.configs[0][1]);
	const variants = JSON.parse(process.env.VARIANTS ?? '[{}]') as NodePatch[];
	const tmp = mkdtempSync(join(tmpdir(), 'evergis-shared-experiment-'));
	const sandbox = await SandboxProcess.start(BUILD_ROOT, {
		latencyMs: SHARED.latencyMs,
		taskDurationMs: SHARED.taskMs,
		storageDir: join(tmp, 'sandbox'),
		log: process.env.TIMELINE === '1',
		maxActiveRequests: maxActive,
	});
	const ctx = {
		buildRoot: BUILD_ROOT,
		tmp,
		smallFile: SMALL,
		repeats: 1,
		rows: [],
		notes: [],
		log: (line: string) => console.log(line),
		sandboxes: [],
	};
	try {
		for (let round = 1; round <= env('ROUNDS', 1); round++) {
			for (const variant of variants) {
				const mark = sandbox.requests.length;
				const results = await runTogether(
					ctx,
					Array.from({ length: executions }, () => ({
						url: sandbox.url,
						files: Array.from({ length: SHARED.items }, () => SMALL),
						pollInterval: SHARED.pollInterval,
						patch: { ...variant, trace: true },
					})),
					{ beforeGo: () => sandbox.resetStats() },
				);
				const stats = await sandbox.counters();
				const wall =
					Math.max(...results.map((r) => r.endedAt)) - Math.min(...results.map((r) => r.startedAt));
				const answers = Object.values(stats.answers).reduce((sum, n) => sum + n, 0);
				console.log(
					`round ${round} ${JSON.stringify(variant)}: wall ${(wall / 1000).toFixed(2)} s; 419 ${stats.answers['419'] ?? 0} of ${answers}; none in process ${Math.round(stats.load.msByActive[0] ?? 0)} ms; ${results.map((r) => r.error ?? JSON.stringify(r.statuses)).join(' ')}`,
				);
				if (process.env.SHOW === '1') {
					for (const r of results) {
						const trace = r.trace ?? { retries: [], windows: [] };
						console.log(
							`  execution ${(r.nodeMs / 1000).toFixed(2)} s; retries [ms: attempt/delay/status] ${trace.retries.map(([at, n, delay, status]) => `${at}:${n}/${delay}/${status}`).join(' ')}`,
						);
						console.log(
							`  limit [ms: window] ${trace.windows
								.filter((_w, i) => i % 5 === 0)
								.map(([at, w]) => `${at}:${w.toFixed(1)}`)
								.join(' ')}`,
						);
					}
				}
				if (process.env.TIMELINE === '1') {
					await new Promise((done) => setTimeout(done, 500));
					console.log(timeline(sandbox.requests.slice(mark)));
				}
			}
		}
	} finally {
		await sandbox.stop();
		rmSync(tmp, { recursive: true, force: true });
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
