import type { Spread } from './measure';

// The table the benchmark prints, and the same as Markdown.

export type Verdict = 'PASS' | 'MISS' | 'info';

export interface Row {
	section: string;
	figure: string;
	measured: string;
	baseline: string;
	ratio: string;
	goal: string;
	verdict: Verdict;
}

const MiB = 2 ** 20;

/** The number of each section in the report, in the order bench/run.ts runs them: one place to renumber. */
export const SECTION = {
	memory: 1,
	uploadSpeed: 2,
	batch: 3,
	requests: 4,
	realN8nUpload: 5,
	alreadyLoadedContent: 6,
	alreadyLoadedStore: 7,
	listing: 8,
	sharedServer: 9,
	polling: 10,
	failFast: 11,
	sharedServerInN8n: 12,
} as const;

export const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
export const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
export const times = (ratio: number): string => `${ratio.toFixed(2)}×`;

/** "median [min–max] (n=3)" of a spread, each value shown by `show`. */
export function withSpread(s: Spread, show: (value: number) => string): string {
	if (s.n === 0) return 'n/a';
	if (s.n === 1) return show(s.median);
	return `${show(s.median)} [${show(s.min)}–${show(s.max)}]`;
}

const HEADERS = ['Figure', 'Measured', 'Baseline (same run)', 'Ratio', 'Goal', 'Result'];

function cells(row: Row): string[] {
	return [row.figure, row.measured, row.baseline, row.ratio, row.goal, row.verdict];
}

/** A plain-text table for the terminal, one block per section. */
export function textTable(rows: Row[]): string {
	const widths = HEADERS.map((header, i) =>
		Math.max(header.length, ...rows.map((row) => cells(row)[i].length)),
	);
	const line = (values: string[]) =>
		values
			.map((value, i) => value.padEnd(widths[i]))
			.join(' | ')
			.trimEnd();
	const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
	const out: string[] = [line(HEADERS), rule];
	let section = '';
	for (const row of rows) {
		if (row.section !== section) {
			section = row.section;
			out.push(`[${section}]`);
		}
		out.push(line(cells(row)));
	}
	return out.join('\n');
}

const escape = (text: string) => text.replace(/\|/g, '\\|');

export function markdownTable(rows: Row[]): string {
	const out: string[] = [];
	let section = '';
	for (const row of rows) {
		if (row.section !== section) {
			if (out.length > 0) out.push('');
			section = row.section;
			out.push(`### ${section}`, '');
			out.push(`| ${HEADERS.join(' | ')} |`, `| ${HEADERS.map(() => '---').join(' | ')} |`);
		}
		const values = cells(row).map(escape);
		values[5] = row.verdict === 'info' ? '' : `**${row.verdict}**`;
		out.push(`| ${values.join(' | ')} |`);
	}
	return out.join('\n');
}
