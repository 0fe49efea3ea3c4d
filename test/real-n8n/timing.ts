/**
 * Step timings: every step run through `logStep` prints how long it took (to stderr, so jest shows it
 * as it happens), and `timingSummary()` lists them all.
 */
const steps: Array<{ name: string; ms: number; ok: boolean }> = [];

export async function logStep<T>(name: string, action: () => Promise<T>): Promise<T> {
	const start = Date.now();
	process.stderr.write(`[real-n8n] ${name} ...\n`);
	try {
		const result = await action();
		record(name, Date.now() - start, true);
		return result;
	} catch (error) {
		record(name, Date.now() - start, false);
		throw error;
	}
}

function record(name: string, ms: number, ok: boolean): void {
	steps.push({ name, ms, ok });
	process.stderr.write(
		`[real-n8n] ${name}: ${ok ? 'done' : 'FAILED'} in ${(ms / 1000).toFixed(1)} s\n`,
	);
}

export function timingSummary(): string {
	const width = Math.max(10, ...steps.map((step) => step.name.length));
	return steps
		.map(
			(step) =>
				`${step.name.padEnd(width)}  ${(step.ms / 1000).toFixed(1).padStart(7)} s${step.ok ? '' : '  FAILED'}`,
		)
		.join('\n');
}
