#!/usr/bin/env node
// Checks what `npm pack` would publish: the compiled credentials, nodes and icons, and nothing
// else (npm always adds package.json, README.md and LICENSE). Run by `npm test` after the build.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const [report] = JSON.parse(
	execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
		cwd: root,
		encoding: 'utf8',
	}),
);
const files = report.files.map((file) => file.path).sort();
const problems = [];

const allowed = [
	/^package\.json$/,
	/^README\.md$/,
	/^LICENSE(\.md)?$/,
	/^dist\/credentials\/[^/]+\.js$/,
	/^dist\/nodes\/EverGis\/.+\.js$/,
	/^dist\/nodes\/EverGis\/[^/]+\.node\.json$/,
	/^dist\/icons\/[^/]+\.svg$/,
];
for (const file of files) {
	if (!allowed.some((pattern) => pattern.test(file)))
		problems.push(`unexpected file in the tarball: ${file}`);
}
for (const entry of [...pkg.n8n.credentials, ...pkg.n8n.nodes]) {
	if (!files.includes(entry))
		problems.push(`package.json n8n section names ${entry}, which is not in the tarball`);
}
for (const icon of ['dist/icons/evergis.svg', 'dist/icons/evergis.dark.svg']) {
	if (!files.includes(icon)) problems.push(`icon missing from the tarball: ${icon}`);
}
for (const codex of [
	'dist/nodes/EverGis/EverGisTiling.node.json',
	'dist/nodes/EverGis/EverGisTilingTrigger.node.json',
]) {
	if (!files.includes(codex)) problems.push(`codex file missing from the tarball: ${codex}`);
}
if (Object.keys(pkg.dependencies ?? {}).length > 0) {
	problems.push(
		`runtime dependencies are not allowed: ${Object.keys(pkg.dependencies).join(', ')}`,
	);
}
// Every compiled file must load with only n8n-workflow (a peer) and Node's own modules.
for (const file of files.filter((name) => name.endsWith('.js'))) {
	const source = require('node:fs').readFileSync(path.join(root, file), 'utf8');
	for (const [, name] of source.matchAll(/require\("([^"]+)"\)/g)) {
		if (name.startsWith('.') || name === 'n8n-workflow' || require('node:module').isBuiltin(name))
			continue;
		problems.push(`${file} requires '${name}', which n8n does not provide`);
	}
}

if (problems.length > 0) {
	console.error(problems.join('\n'));
	process.exit(1);
}
console.log(
	`npm pack: ${files.length} files, ${(report.size / 1024).toFixed(1)} kB packed, ${(report.unpackedSize / 1024).toFixed(1)} kB unpacked: compiled credentials, nodes, codex files and icons only.`,
);
