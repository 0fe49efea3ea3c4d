/**
 * README.md and README.ru.md kept in step (the rules: test/unit/helpers/readmeDrift.ts). When the
 * English README changes, the Russian one changes in the same commit, or this fails, saying what
 * is missing where.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { INodeProperties, INodePropertyCollection, INodePropertyOptions } from 'n8n-workflow';

import { EverGisApi } from '../../../credentials/EverGisApi.credentials';
import { EverGisTiling } from '../../../nodes/EverGis/EverGisTiling.node';
import { EverGisTilingTrigger } from '../../../nodes/EverGis/EverGisTilingTrigger.node';
import { driftProblems, githubSlug, headings, mentionedNames } from '../helpers/readmeDrift';

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

test('GitHub anchors of the README headings', () => {
	expect(githubSlug('Raster → Upload to Catalog')).toBe('raster--upload-to-catalog');
	expect(githubSlug('Try it without an EverGIS server')).toBe('try-it-without-an-evergis-server');
	expect(githubSlug('File → Upload')).toBe('file--upload');
	expect(headings(english, false).map((heading) => heading.id)).toContain('install');
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
	const drifted = (change: (text: string) => string) =>
		driftProblems(change(english), russian, NAMES);

	test('a new section', () => {
		expect(
			drifted((text) => text.replace('\n## License', '\n## Support\n\nAsk.\n\n## License')),
		).toContain(
			'README.ru.md lacks the section <a id="support"></a> (README.md line ' +
				`${english.split('\n').indexOf('## License') + 1}: ## Support)`,
		);
	});

	test('sections in another order', () => {
		const swapped = english
			.replace('## Compatibility\n', '## @@\n')
			.replace('## Credentials\n', '## Compatibility\n')
			.replace('## @@\n', '## Credentials\n');
		expect(driftProblems(swapped, russian, NAMES).join('\n')).toMatch(/the order differs/);
	});

	test('a name of the nodes newly mentioned', () => {
		const text = english.replace('\n## License', '\nSee Attribute Values.\n\n## License');
		expect(driftProblems(text, russian, NAMES)).toContain(
			"README.ru.md does not mention 'Attribute Values' (a name in the nodes, README.md has it)",
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
			'\n## Running in queue mode',
			'\n**`Something new went wrong`.** Do this.\n\n## Running in queue mode',
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
});
