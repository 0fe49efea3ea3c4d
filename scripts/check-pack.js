#!/usr/bin/env node
// Checks what `npm pack` publishes: the compiled credentials, nodes and icons, and index.js (the
// package's `main`), nothing else (npm always adds package.json, the README files — README.md and
// its Russian twin README.ru.md — and LICENSE). Then it
// unpacks the tarball beside a link to n8n-workflow (what n8n lends the packages it loads) and
// requires the packed index.js: it must give the node and credential classes. Run by `npm test`
// after the build, and by prepublishOnly.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'evergis-pack-check-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));
const [report] = JSON.parse(
	execFileSync(
		'npm',
		['pack', '--json', '--ignore-scripts', '--dry-run=false', '--pack-destination', work],
		{
			cwd: root,
			encoding: 'utf8',
		},
	),
);
const files = report.files.map((file) => file.path).sort();
const problems = [];

const allowed = [
	/^package\.json$/,
	/^README(\.ru)?\.md$/,
	/^LICENSE(\.md)?$/,
	/^index\.js$/,
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
if (pkg.main !== 'index.js' || !files.includes('index.js')) {
	problems.push(`package.json main is '${pkg.main}'; expected index.js, shipped in the tarball`);
}
if (Object.keys(pkg.dependencies ?? {}).length > 0) {
	problems.push(
		`runtime dependencies are not allowed: ${Object.keys(pkg.dependencies).join(', ')}`,
	);
}
// Every compiled file must load with only n8n-workflow (a peer) and Node's own modules.
for (const file of files.filter((name) => name.endsWith('.js'))) {
	const source = fs.readFileSync(path.join(root, file), 'utf8');
	for (const [, name] of source.matchAll(/require\("([^"]+)"\)/g)) {
		if (name.startsWith('.') || name === 'n8n-workflow' || require('node:module').isBuiltin(name))
			continue;
		problems.push(`${file} requires '${name}', which n8n does not provide`);
	}
}

// The packed index.js, required as a user's code would: the classes n8n loads through the "n8n" section.
const modules = path.join(work, 'node_modules');
const installed = path.join(modules, pkg.name);
fs.mkdirSync(installed, { recursive: true });
execFileSync('tar', [
	'-xzf',
	path.join(work, report.filename),
	'-C',
	installed,
	'--strip-components=1',
]);
fs.symlinkSync(
	path.dirname(require.resolve('n8n-workflow/package.json')),
	path.join(modules, 'n8n-workflow'),
);
const exported = require(installed);
const expected = {
	EverGisApi: { file: pkg.n8n.credentials[0], name: (c) => c.name },
	EverGisTiling: { file: pkg.n8n.nodes[0], name: (c) => c.description.name },
	EverGisTilingTrigger: { file: pkg.n8n.nodes[1], name: (c) => c.description.name },
};
if (Object.keys(exported).sort().join() !== Object.keys(expected).sort().join()) {
	problems.push(
		`the packed index.js exports ${Object.keys(exported).join(', ')}; expected ${Object.keys(expected).join(', ')}`,
	);
}
for (const [name, { file, name: typeName }] of Object.entries(expected)) {
	const fromSection = require(path.join(installed, file))[name];
	if (typeof exported[name] !== 'function' || exported[name] !== fromSection) {
		problems.push(`the packed index.js does not export the class ${name} of ${file}`);
		continue;
	}
	if (typeof typeName(new exported[name]()) !== 'string')
		problems.push(`the packed index.js's ${name} does not construct into an n8n type`);
}

if (problems.length > 0) {
	console.error(problems.join('\n'));
	process.exit(1);
}
console.log(
	`npm pack: ${files.length} files, ${(report.size / 1024).toFixed(1)} kB packed, ${(report.unpackedSize / 1024).toFixed(1)} kB unpacked: compiled credentials, nodes, codex files, icons and index.js only; the packed index.js gives ${Object.keys(exported).join(', ')}.`,
);
