/**
 * README.md and README.ru.md kept in step (the rules: test/unit/helpers/readmeDrift.ts). When the
 * English README changes, the Russian one changes in the same commit, or this fails, saying what
 * is missing where. The relative links of every Markdown file of the repository lead somewhere; the
 * Docker files agree with the README and the examples.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import type { INodeProperties, INodePropertyCollection, INodePropertyOptions } from 'n8n-workflow';

import { EverGisApi } from '../../../credentials/EverGisApi.credentials';
import { EverGisTiling } from '../../../nodes/EverGis/EverGisTiling.node';
import { EverGisTilingTrigger } from '../../../nodes/EverGis/EverGisTilingTrigger.node';
import {
	brokenLinks,
	driftProblems,
	githubSlug,
	headings,
	linkTargets,
	mentionedNames,
} from '../helpers/readmeDrift';

const ROOT = join(__dirname, '..', '..', '..');
const english = readFileSync(join(ROOT, 'README.md'), 'utf8');
const russian = readFileSync(join(ROOT, 'README.ru.md'), 'utf8');

type Described = INodeProperties | INodePropertyOptions | INodePropertyCollection;

/** Every name the editor shows: parameters, options, collections' entries, modes, values. */
function namesOf(properties: Described[], into = new Set<string>()): Set<string> {
	for (const property of properties) {
		if ('displayName' in property && property.displayName) into.add(property.displayName);
		if ('value' in property && 'name' in property && !('type' in property)) into.add(property.name);
		const nested = property as {
			options?: Described[];
			values?: Described[];
			modes?: Array<{ displayName: string }>;
		};
		if (Array.isArray(nested.options)) namesOf(nested.options, into);
		if (Array.isArray(nested.values)) namesOf(nested.values, into);
		for (const mode of nested.modes ?? []) into.add(mode.displayName);
	}
	return into;
}

const NAMES = [
	...namesOf(new EverGisTiling().description.properties),
	...namesOf(new EverGisTilingTrigger().description.properties),
	...namesOf(new EverGisApi().properties),
];

test('README.ru.md is in step with README.md', () => {
	expect(driftProblems(english, russian, NAMES)).toEqual([]);
});

test('the names come from the nodes: operations, options, values, modes, credentials', () => {
	for (const name of [
		'Upload to Catalog',
		'Get Status',
		'Wait for Completion',
		'Skip Files Already Loaded',
		'Max Zoom Level',
		'From List',
		'By Name',
		'Files Already in Temporary Storage',
		'These Input Files',
		'Include Task Info',
		'Fire On',
		'Ignore SSL Issues (Insecure)',
	]) {
		expect(NAMES).toContain(name);
	}
});

test('GitHub anchors of the README headings, Russian ones too', () => {
	expect(githubSlug('Raster → Upload to Catalog')).toBe('raster--upload-to-catalog');
	expect(githubSlug('Try it without an EverGIS server')).toBe('try-it-without-an-evergis-server');
	expect(githubSlug('File → Upload')).toBe('file--upload');
	expect(githubSlug('Установка и обновление')).toBe('установка-и-обновление');
	expect(headings(english).map((heading) => heading.id)).toContain('install');
	expect(headings('## FAQ\n\n## FAQ\n').map((heading) => heading.id)).toEqual(['faq', 'faq-1']);
});

test('the relative links of a Markdown file: files, anchors, images; web links left out', () => {
	expect(
		linkTargets(
			'See [x](docs/A.md#b), ![p](docs/p.png) and [y](https://x.org/a.md) or [z](#here).\n[w](./C.md)',
		),
	).toEqual([
		{ file: 'docs/A.md', anchor: 'b', line: 1 },
		{ file: 'docs/p.png', line: 1 },
		{ file: 'C.md', line: 2 },
	]);
});

test('a longer name hides the shorter ones inside it', () => {
	expect([...mentionedNames('Task → Get Status', ['Get', 'Get Status', 'Task'])].sort()).toEqual([
		'Get Status',
		'Task',
	]);
	expect([...mentionedNames('Targets', ['Get'])]).toEqual([]);
	// Markdown's _italics_ and a name wrapped onto the next line still count.
	expect([...mentionedNames('_Create New\nCatalog_', ['Create New Catalog'])]).toEqual([
		'Create New Catalog',
	]);
});

/** The checks fail when the two drift: each kind of change to README.md alone is caught. */
describe('drift is caught', () => {
	test('sections in another order, or added, are not drift: each README orders its own', () => {
		// FAQ moved after Troubleshooting, a section added.
		const [head, ...sections] = english.split('\n## ');
		const faq = sections.findIndex((section) => section.startsWith('FAQ\n'));
		const [moved] = sections.splice(faq, 1);
		sections.splice(
			sections.findIndex((section) => section.startsWith('Troubleshooting\n')) + 1,
			0,
			moved,
		);
		const reordered = [head, ...sections]
			.join('\n## ')
			.replace('\n## License', '\n## Support\n\nAsk.\n\n## License');
		expect(reordered).not.toBe(english);
		expect(driftProblems(reordered, russian, NAMES)).toEqual([]);
	});

	test('a file README.md newly links to, and an anchor it newly sets', () => {
		const text = english.replace(
			'\n## License',
			'\n<a id="new-place"></a>See [the new page](docs/NEW.md).\n\n## License',
		);
		const problems = driftProblems(text, russian, NAMES);
		expect(problems).toContain('README.ru.md does not link to docs/NEW.md (README.md does)');
		expect(problems).toContain('README.ru.md lacks <a id="new-place"></a> (README.md has it)');
	});

	test('a name of the nodes newly mentioned', () => {
		const text = english.replace('\n## License', '\nSee Attributes (JSON).\n\n## License');
		expect(driftProblems(text, russian, NAMES)).toContain(
			"README.ru.md does not mention 'Attributes (JSON)' (a name in the nodes, README.md has it)",
		);
	});

	test('a command in a shell block, an inline command, an environment variable', () => {
		const text = english.replace(
			'\n## License',
			'\n```sh\nnpm run lint:fix   # fixes\n```\n\nRun `npx tsc --noEmit` with `N8N_LOG_LEVEL=debug`.\n\n## License',
		);
		const problems = driftProblems(text, russian, NAMES);
		expect(problems).toContain(
			'README.ru.md lacks the command `npm run lint:fix` (in code, as README.md has it)',
		);
		expect(problems).toContain(
			'README.ru.md lacks the command `npx tsc --noEmit` (in code, as README.md has it)',
		);
		expect(problems).toContain('README.ru.md does not mention N8N_LOG_LEVEL');
	});

	test('an example file', () => {
		const text = english.replace('\n## License', '\nSee examples/new-example.json.\n\n## License');
		expect(driftProblems(text, russian, NAMES)).toContain(
			'README.ru.md does not name examples/new-example.json',
		);
	});

	test('a message in Troubleshooting', () => {
		const text = english.replace(
			'\n## Troubleshooting\n',
			'\n## Troubleshooting\n\n**`Something new went wrong`.** Do this.\n',
		);
		expect(driftProblems(text, russian, NAMES)).toContain(
			"README.ru.md lacks `Something new went wrong` (README.md's Troubleshooting, verbatim in code)",
		);
	});

	test('the links between the two, and a link to a missing anchor', () => {
		const problems = driftProblems(
			english.replace('](README.ru.md)', '](README.de.md)').replace('](#install)', '](#instal)'),
			russian,
			NAMES,
		);
		expect(problems).toContain('README.md: no link to README.ru.md in its first 8 lines');
		expect(problems).toContain('README.md: the link (#instal) leads nowhere');
	});

	test('a link into docs/ to a file that is not there, or to an anchor that is not', () => {
		const text =
			'[gone](docs/GONE.md), [moved](docs/INSTALL.md#no-such-part), [fine](docs/INSTALL.md#what-was-run)';
		expect(brokenLinks('README.md', text, readRepoFile)).toEqual([
			'README.md line 1: the link docs/GONE.md leads to no file',
			'README.md line 1: the link docs/INSTALL.md#no-such-part leads to no anchor of docs/INSTALL.md',
		]);
		expect(brokenLinks('docs/X.md', '[up](../README.md#faq)', readRepoFile)).toEqual([]);
	});
});

/** A file of the repository by its path: its text ('' for a file that is not Markdown), or undefined. */
function readRepoFile(path: string): string | undefined {
	const file = join(ROOT, path);
	if (!existsSync(file)) return undefined;
	if (statSync(file).isDirectory()) return '';
	return path.endsWith('.md') ? readFileSync(file, 'utf8') : '';
}

/** The Markdown files of the repository (not node_modules, builds or git's folder). */
function markdownFiles(dir = ROOT): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		if (['node_modules', '.git', 'dist', 'build', '.tmp', 'fixtures'].includes(entry.name))
			return [];
		const path = join(dir, entry.name);
		if (entry.isDirectory()) return markdownFiles(path);
		return entry.name.endsWith('.md') ? [relative(ROOT, path)] : [];
	});
}

test('every relative link of every Markdown file leads to a file and an anchor that exist', () => {
	const files = markdownFiles();
	expect(files).toEqual(
		expect.arrayContaining(['README.md', 'README.ru.md', 'CONTRIBUTING.md', 'CHANGELOG.md']),
	);
	expect(files.filter((file) => file.startsWith('docs/')).length).toBeGreaterThanOrEqual(5);
	const broken = files.flatMap((file) => brokenLinks(file, readRepoFile(file)!, readRepoFile));
	expect(broken).toEqual([]);
});

describe('the Docker files agree with the README and the examples', () => {
	const version = (
		JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
	).version;
	const tarball = `n8n-nodes-evergis-${version}.tgz`;
	const dockerfile = readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8');
	const compose = readFileSync(join(ROOT, 'docker', 'compose.yaml'), 'utf8');

	test("the Dockerfile and compose.yaml name package.json's version", () => {
		expect(dockerfile).toContain(`COPY ${tarball} /tmp/`);
		expect(compose).toContain(`image: n8n-evergis:${version}`);
		expect(compose).toContain(tarball);
	});

	test('the Dockerfile builds on the n8n release the e2e suite runs its steps in', () => {
		const install = readFileSync(join(ROOT, 'test', 'real-n8n', 'install.ts'), 'utf8');
		const release = /N8N_VERSION = '(\d+\.\d+\.\d+)'/.exec(install)?.[1];
		expect(release).toBeDefined();
		expect(dockerfile).toContain(`FROM n8nio/n8n:${release}\n`);
		for (const readme of [english, russian]) expect(readme).toContain(`n8nio/n8n:${release}`);
	});

	test('compose.yaml lets n8n read the folder the nightly folder example reads, and mounts it', () => {
		const example = JSON.parse(
			readFileSync(join(ROOT, 'examples', 'folder-to-catalog-nightly.json'), 'utf8'),
		) as { nodes: Array<{ parameters: { fileSelector?: string } }> };
		const selector = example.nodes.find((node) => node.parameters.fileSelector)!.parameters
			.fileSelector!;
		const folder = selector.slice(0, selector.lastIndexOf('/'));
		expect(compose).toContain(`- N8N_RESTRICT_FILE_ACCESS_TO=${folder}\n`);
		expect(compose).toContain(`- ./incoming:${folder}:ro\n`);
	});
});
