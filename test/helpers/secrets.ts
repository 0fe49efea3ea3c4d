import { inspect } from 'node:util';

import type { RunResult } from './engine';
import { capturedLogs } from './engine';

/**
 * Collects everything a user or an operator could see of a run — every output item, the run's
 * error with its description and cause, n8n's and the nodes' log lines — so that a test file can
 * check at its end that none of it holds a password or a token the sandbox issued.
 */
export class SecretScan {
	private readonly texts: string[] = [];

	add(result: RunResult): RunResult {
		for (const runs of Object.values(result.run.data.resultData.runData)) {
			for (const run of runs) {
				this.texts.push(
					JSON.stringify(run.data ?? {}),
					JSON.stringify(run.error ?? {}),
					inspect(run.error, { depth: 6 }),
				);
			}
		}
		if (result.error) {
			this.texts.push(
				result.error.message,
				String(result.error.description ?? ''),
				JSON.stringify(result.error),
				inspect(result.error, { depth: 6 }),
			);
		}
		return result;
	}

	addText(text: string) {
		this.texts.push(text);
	}

	/** The secrets found, each with where (empty when clean). */
	find(secrets: string[]): string[] {
		const logs = capturedLogs.map(
			(line) => `${line.level} ${line.message} ${inspect(line.metadata, { depth: 6 })}`,
		);
		const found: string[] = [];
		for (const secret of secrets.filter((value) => value && value.length >= 6)) {
			const where = [...this.texts, ...logs].find((text) => text.includes(secret));
			if (where !== undefined) {
				const at = where.indexOf(secret);
				found.push(`${secret.slice(0, 12)}… in: ${where.slice(Math.max(0, at - 120), at + 40)}`);
			}
		}
		return found;
	}

	get size() {
		return this.texts.length + capturedLogs.length;
	}
}
