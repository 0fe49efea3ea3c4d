/**
 * The compatibility table: one row per check, one column per n8n release, each cell `pass` or
 * `FAIL` with the time the check took. Printed at the end of `npm run test:compat`.
 */
export interface Cell {
	ok: boolean;
	ms: number;
	/** Why it failed (first line of the error), or a remark on a pass. */
	note?: string;
}

export class ResultTable {
	private readonly rows: string[] = [];
	private readonly cells = new Map<string, Cell>();
	private readonly columns: string[] = [];

	constructor(columns: string[]) {
		this.columns.push(...columns);
	}

	private key(row: string, column: string): string {
		return `${row}\u0000${column}`;
	}

	record(row: string, column: string, cell: Cell): void {
		if (!this.rows.includes(row)) this.rows.push(row);
		this.cells.set(this.key(row, column), cell);
		process.stderr.write(
			`[compat] n8n ${column} | ${row}: ${cell.ok ? 'pass' : 'FAIL'} in ${(cell.ms / 1000).toFixed(1)} s` +
				`${cell.note ? ` (${cell.note})` : ''}\n`,
		);
	}

	/** The failed checks of one column, with their notes. */
	failures(column: string): string[] {
		return this.rows.flatMap((row) => {
			const cell = this.cells.get(this.key(row, column));
			return cell && !cell.ok ? [`${row}: ${cell.note ?? 'failed'}`] : [];
		});
	}

	/** The rows of `expected` that have no cell in this column (checks that did not run). */
	missing(column: string, expected: string[]): string[] {
		return expected.filter((row) => !this.cells.has(this.key(row, column)));
	}

	render(): string {
		const rowWidth = Math.max(5, ...this.rows.map((row) => row.length));
		const text = (cell: Cell | undefined) =>
			cell ? `${cell.ok ? 'pass' : 'FAIL'} ${(cell.ms / 1000).toFixed(1).padStart(6)} s` : '—';
		const widths = this.columns.map((column) =>
			Math.max(
				column.length,
				...this.rows.map((row) => text(this.cells.get(this.key(row, column))).length),
			),
		);
		const line = (cells: string[]) =>
			`| ${cells.map((cell, i) => cell.padEnd(i === 0 ? rowWidth : widths[i - 1])).join(' | ')} |`;
		const out = [
			line(['check', ...this.columns]),
			line(['-'.repeat(rowWidth), ...widths.map((w) => '-'.repeat(w))]),
			...this.rows.map((row) =>
				line([row, ...this.columns.map((column) => text(this.cells.get(this.key(row, column))))]),
			),
		];
		const notes = this.columns.flatMap((column) =>
			this.rows.flatMap((row) => {
				const cell = this.cells.get(this.key(row, column));
				return cell?.note ? [`  ${column} | ${row}: ${cell.note}`] : [];
			}),
		);
		if (notes.length > 0) out.push('', 'notes:', ...notes);
		return out.join('\n');
	}
}
