#!/usr/bin/env node
// Runs n8n's own community package scanner (@n8n/scan-community-package, a dev dependency) on this
// package, offline: its analyser on the source (package.json, nodes/, credentials/, as n8n lints the
// source its npm provenance points at) and on the unpacked `npm pack` tarball (the compiled .js and
// the package.json that ship). n8n's CLI (`npx @n8n/scan-community-package <name>`) downloads the
// published package and its source from the network; this calls the same analyser on local folders.
// Any finding (error or warning) fails. Run by `npm test` after the build (`npm run test:scan`).
//
// TypeScript: the scanner declares typescript 7, whose package lacks the compiler API that its
// parser (@typescript-eslint/parser) needs. An npm `overrides` entry cannot pin it here (the
// scanner's own no-overrides-field rule forbids that field in a community package's package.json),
// so the lock file keeps typescript 7 nested under the scanner, where nothing loads it, and the
// parser resolves this package's typescript 5.x; this script checks that before scanning.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const requireHere = createRequire(join(root, 'package.json'));
const scannerDir = dirname(requireHere.resolve('@n8n/scan-community-package/package.json'));
const scannerVersion = JSON.parse(readFileSync(join(scannerDir, 'package.json'), 'utf8')).version;
const fromScanner = createRequire(join(scannerDir, 'scanner', 'scanner.mjs'));

// The TypeScript that the scanner's parser will load.
const parserDir = dirname(fromScanner.resolve('@typescript-eslint/parser/package.json'));
const typescriptJson = createRequire(join(parserDir, 'package.json')).resolve(
	'typescript/package.json',
);
const typescriptVersion = JSON.parse(readFileSync(typescriptJson, 'utf8')).version;
if (!typescriptVersion.startsWith('5.')) {
	console.error(
		`scan: the scanner's parser would load typescript ${typescriptVersion} (${relative(root, typescriptJson)}), ` +
			'which breaks it; it needs typescript 5.x at the top of node_modules (run npm ci)',
	);
	process.exit(1);
}

const { analyzePackage, buildScanConfig, SOURCE_FILE_PATTERNS } = await import(
	pathToFileURL(join(scannerDir, 'scanner', 'scanner.mjs')).href
);
const { ESLint } = await import(pathToFileURL(fromScanner.resolve('eslint')).href);
const glob = fromScanner('fast-glob');
// The scanner makes a temp folder when it loads (for the downloads it does not do here): removed at exit.
fromScanner('tmp').setGracefulCleanup();

/**
 * The scanner's verdict (analyzePackage: errors fail) and every finding, warnings included, with
 * the scanner's own configuration and file list.
 */
async function scan(label, dir, patterns) {
	const t = Date.now();
	const verdict = await analyzePackage(dir, patterns);
	const files = glob.sync(patterns, {
		cwd: dir,
		absolute: true,
		ignore: ['node_modules/**', '**/package-lock.json'],
	});
	const eslint = new ESLint({
		cwd: dir,
		allowInlineConfig: false,
		overrideConfigFile: true,
		overrideConfig: await buildScanConfig(),
	});
	const results = await eslint.lintFiles(files);
	const findings = results.reduce((sum, r) => sum + r.errorCount + r.warningCount, 0);
	const seconds = ((Date.now() - t) / 1000).toFixed(1);
	console.log(
		`scan ${label}: ${files.length} files, ${findings} findings, analyser ${verdict.passed ? 'passed' : `FAILED (${verdict.message})`} (${seconds} s)`,
	);
	if (findings > 0 || !verdict.passed) {
		const formatter = await eslint.loadFormatter('stylish');
		console.log(await formatter.format(results));
		if (verdict.details) console.log(verdict.details);
	}
	return files.length > 0 && findings === 0 && verdict.passed;
}

const work = mkdtempSync(join(tmpdir(), 'evergis-scan-'));
let ok = false;
try {
	const sourceOk = await scan(
		'source (package.json, nodes/, credentials/)',
		root,
		SOURCE_FILE_PATTERNS,
	);
	const [packed] = JSON.parse(
		execFileSync(
			'npm',
			['pack', '--json', '--ignore-scripts', '--dry-run=false', '--pack-destination', work],
			{
				cwd: root,
				encoding: 'utf8',
			},
		),
	);
	const unpacked = join(work, 'package');
	execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', work]);
	const tarballOk = await scan(`tarball (${packed.filename}: .js and package.json)`, unpacked, [
		'**/*.js',
		'package.json',
	]);
	ok = sourceOk && tarballOk;
} finally {
	rmSync(work, { recursive: true, force: true });
}
console.log(
	`scan: @n8n/scan-community-package ${scannerVersion} with typescript ${typescriptVersion}: ${ok ? 'zero findings' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
process.exit(ok ? 0 : 1);
