import { writeFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

// Loaded into a real n8n process by the bench (NODE_OPTIONS=--require …): records every garbage
// collection (when, how long on the main thread, which kind) and the process's CPU time every
// 100 ms, and writes them to $BENCH_GC_LOG as JSON when the process exits. The bench then counts
// what happened while the uploading node ran (n8n's run data says when that was).

export interface GcLog {
	/** [epoch ms, main-thread ms, kind]; kind 1 = scavenge (minor), 4 = mark-compact (major), 8 = incremental marking step, 16 = weak callbacks. */
	gcs: Array<[number, number, number]>;
	/** [epoch ms, CPU ms of the whole process (all threads, user + system)]. */
	cpu: Array<[number, number]>;
}

// Only the `n8n execute` process: its task runner inherits the environment too.
const target = process.argv.slice(2).includes('execute') ? process.env.BENCH_GC_LOG : undefined;
if (target) {
	const log: GcLog = { gcs: [], cpu: [] };
	new PerformanceObserver((list) => {
		for (const entry of list.getEntries()) {
			const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0;
			log.gcs.push([Math.round(performance.timeOrigin + entry.startTime), entry.duration, kind]);
		}
	}).observe({ entryTypes: ['gc'] });
	const sample = () => {
		const usage = process.cpuUsage();
		log.cpu.push([Date.now(), (usage.user + usage.system) / 1000]);
	};
	sample();
	setInterval(sample, 100).unref();
	process.on('exit', () => {
		sample();
		try {
			writeFileSync(target, JSON.stringify(log));
		} catch {
			// the bench reports a missing log
		}
	});
}
