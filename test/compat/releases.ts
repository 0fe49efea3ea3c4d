import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Release {
	version: string;
	/** Why this release is tested. */
	role: string;
	/** The Node.js it runs on here. */
	node: string;
	/** Tested by default (and in CI); the others with EVERGIS_COMPAT_VERSIONS=all. */
	ci: boolean;
}

/** The releases the suite knows (test/compat/releases.json, also read by .ci/run). */
export const RELEASES: Release[] = JSON.parse(
	readFileSync(join(__dirname, 'releases.json'), 'utf8'),
) as Release[];

/**
 * The releases to test: EVERGIS_COMPAT_VERSIONS unset (or `ci`) → those marked `ci`; `all` → every
 * one; otherwise a comma-separated list of versions (any n8n release install.sh can install).
 */
export function selectedReleases(
	selection = process.env.EVERGIS_COMPAT_VERSIONS ?? 'ci',
): Release[] {
	const value = selection.trim();
	if (value === '' || value === 'ci') return RELEASES.filter((release) => release.ci);
	if (value === 'all') return RELEASES;
	return value
		.split(/[\s,]+/)
		.filter(Boolean)
		.map(
			(version) =>
				RELEASES.find((release) => release.version === version) ?? {
					version,
					role: 'asked for',
					node: Number(version.split('.')[0]) >= 2 ? 'Node 24' : 'system Node 20',
					ci: false,
				},
		);
}
