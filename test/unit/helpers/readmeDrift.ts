/**
 * What must stay the same in README.md and its Russian twin README.ru.md, as a list of problems
 * ('' when none). The Russian one is written for its readers, in its own order and words; what it
 * must share with the English one is what a reader acts on or looks up:
 *
 * - links: each links to the other near its top; every file README.md links to (docs, examples,
 *   screenshots, CONTRIBUTING.md, …) README.ru.md links to as well; every `<a id="…">` README.md
 *   sets (the places other texts link to), README.ru.md sets too; every `](#…)` link of either
 *   file leads to an anchor of that file (a heading's GitHub anchor or an `<a id>`);
 * - names: every operation, option and value name of the nodes' descriptions (and of the
 *   credentials) that README.md mentions, README.ru.md mentions too, as the editor shows it;
 * - example files: every `examples/*.json` README.md names;
 * - commands: every line of README.md's shell blocks, every inline `npm …`, `npx …`, `n8n …`,
 *   `docker …` and `node …` command, and every environment variable (N8N_*, NODE_*,
 *   GENERIC_TIMEZONE, the proxy ones), in README.ru.md verbatim;
 * - messages: every code span with a space in README.md's Credentials and Troubleshooting sections
 *   (the messages the node prints, and the commands that answer them), in README.ru.md verbatim.
 *
 * Sections are not compared: their titles, order and nesting are each README's own.
 * brokenLinks() checks that the relative links of a Markdown file lead to files (and anchors) that
 * exist.
 */

export interface Heading {
	level: number;
	text: string;
	id: string;
	line: number;
}

/** GitHub's heading anchor (github-slugger): lower case, punctuation and symbols dropped, spaces → -. */
export function githubSlug(text: string): string {
	return text
		.replace(/<[^>]+>/g, '')
		.replace(/`/g, '')
		.trim()
		.toLowerCase()
		.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
		.replace(/ /g, '-');
}

/** The text outside fenced code blocks, line by line ('' for the lines inside them). */
function proseLines(markdown: string): string[] {
	let fenced = false;
	return markdown.split('\n').map((line) => {
		if (/^\s*```/.test(line)) {
			fenced = !fenced;
			return '';
		}
		return fenced ? '' : line;
	});
}

/** The fenced code blocks: their info string and lines. */
export function codeBlocks(markdown: string): Array<{ info: string; lines: string[] }> {
	const blocks: Array<{ info: string; lines: string[] }> = [];
	let current: { info: string; lines: string[] } | undefined;
	for (const line of markdown.split('\n')) {
		const fence = /^\s*```(\S*)/.exec(line);
		if (fence) {
			if (current) {
				blocks.push(current);
				current = undefined;
			} else {
				current = { info: fence[1], lines: [] };
			}
		} else if (current) {
			current.lines.push(line);
		}
	}
	return blocks;
}

/** Inline code spans of the prose. */
export function codeSpans(markdown: string): string[] {
	return proseLines(markdown)
		.join('\n')
		.split(/\n\s*\n/)
		.flatMap((paragraph) => [...paragraph.matchAll(/`([^`]+)`/g)].map((match) => match[1]))
		.map((span) => span.replace(/\s*\n\s*/g, ' '));
}

/** The `##`/`###` headings, each with its GitHub anchor (duplicates get -1, -2, …). */
export function headings(markdown: string): Heading[] {
	const seen = new Map<string, number>();
	const found: Heading[] = [];
	proseLines(markdown).forEach((line, index) => {
		const match = /^(#{1,6}) (.+?)\s*$/.exec(line);
		if (!match) return;
		const slug = githubSlug(match[2]);
		const count = seen.get(slug) ?? 0;
		seen.set(slug, count + 1);
		const id = count === 0 ? slug : `${slug}-${count}`;
		found.push({ level: match[1].length, text: match[2], id, line: index + 1 });
	});
	return found;
}

/** Every `<a id="…">` of the prose. */
export function anchorIds(markdown: string): string[] {
	return [
		...proseLines(markdown)
			.join('\n')
			.matchAll(/<a id="([^"]+)"><\/a>/g),
	].map((m) => m[1]);
}

/**
 * The relative links of the prose (`[text](path)`, `![alt](path)`, `[text](path#anchor)`): each
 * link's file (as written, no `./`) and anchor; web links and in-file `#…` links left out.
 */
export function linkTargets(
	markdown: string,
): Array<{ file: string; anchor?: string; line: number }> {
	const found: Array<{ file: string; anchor?: string; line: number }> = [];
	proseLines(markdown).forEach((line, index) => {
		for (const match of line.matchAll(/\]\(([^)\s]+)\)/g)) {
			const target = match[1];
			if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
			const [file, anchor] = target.replace(/^\.\//, '').split('#');
			found.push({ file, ...(anchor ? { anchor } : {}), line: index + 1 });
		}
	});
	return found;
}

/**
 * The relative links of a Markdown file (at `path`, relative to the repository) that lead nowhere:
 * a file that `read` does not find, or an anchor that is neither a heading of that Markdown file
 * nor an `<a id>` in it. `read(path)` gives a file's text ('' for a non-text file that exists), or
 * undefined when there is none.
 */
export function brokenLinks(
	path: string,
	markdown: string,
	read: (path: string) => string | undefined,
): string[] {
	const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
	const problems: string[] = [];
	for (const link of linkTargets(markdown)) {
		const target = normalizePath(folder + link.file);
		const text = read(target);
		const shown = `${link.file}${link.anchor ? `#${link.anchor}` : ''}`;
		if (text === undefined) {
			problems.push(`${path} line ${link.line}: the link ${shown} leads to no file`);
		} else if (link.anchor && target.endsWith('.md')) {
			const anchors = [...headings(text).map((h) => h.id), ...anchorIds(text)];
			if (!anchors.includes(link.anchor)) {
				problems.push(
					`${path} line ${link.line}: the link ${shown} leads to no anchor of ${target}`,
				);
			}
		}
	}
	return problems;
}

/** `docs/../README.md` → `README.md`; a trailing `/` (a folder) dropped. */
function normalizePath(path: string): string {
	const parts: string[] = [];
	for (const part of path.split('/')) {
		if (part === '..') parts.pop();
		else if (part !== '.' && part !== '') parts.push(part);
	}
	return parts.join('/');
}

/** The part of the file under the `## <title>` heading, up to the next `## `. */
function section(markdown: string, title: string): string {
	const lines = markdown.split('\n');
	const start = lines.findIndex((line) => line === `## ${title}`);
	if (start < 0) return '';
	const end = lines.findIndex((line, index) => index > start && line.startsWith('## '));
	return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** A command line as compared: its trailing `# comment` and repeated spaces dropped. */
function commandOf(line: string): string {
	return line
		.replace(/\s+#.*$/, '')
		.replace(/\s+/g, ' ')
		.trim();
}

/**
 * Where each name occurs, longest names first, a longer name hiding the shorter ones inside it
 * ("Get Status" is not a mention of "Get"); matched as whole words, case-sensitive, across line breaks.
 */
export function mentionedNames(text: string, names: Iterable<string>): Set<string> {
	const sorted = [...new Set(names)].filter((name) => name.length > 1);
	sorted.sort((a, b) => b.length - a.length);
	let rest = text;
	const found = new Set<string>();
	for (const name of sorted) {
		// Spaces match any whitespace: a name may be wrapped onto the next line.
		const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+');
		const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'gu');
		if (pattern.test(rest)) {
			found.add(name);
			rest = rest.replace(pattern, (match) => ' '.repeat(match.length));
		}
	}
	return found;
}

const COMMAND = /^(npm|npx|n8n|docker|node) /;
const ENV_VAR =
	/\b(?:N8N_[A-Z0-9_]+|NODE_(?:EXTRA_CA_CERTS|OPTIONS|ENV)|GENERIC_TIMEZONE|HTTPS?_PROXY|NO_PROXY)\b/g;

export function driftProblems(english: string, russian: string, names: Iterable<string>): string[] {
	const problems: string[] = [];
	const top = (text: string) => text.split('\n').slice(0, 8).join('\n');
	if (!top(english).includes('](README.ru.md)')) {
		problems.push('README.md: no link to README.ru.md in its first 8 lines');
	}
	if (!top(russian).includes('](README.md)')) {
		problems.push('README.ru.md: no link to README.md in its first 8 lines');
	}

	// Anchors: the places other texts link to, and the links inside each file.
	const ruAnchors = new Set([...headings(russian).map((h) => h.id), ...anchorIds(russian)]);
	for (const id of anchorIds(english)) {
		if (!ruAnchors.has(id))
			problems.push(`README.ru.md lacks <a id="${id}"></a> (README.md has it)`);
	}
	const enAnchors = new Set([...headings(english).map((h) => h.id), ...anchorIds(english)]);
	for (const [file, text, anchors] of [
		['README.md', english, enAnchors],
		['README.ru.md', russian, ruAnchors],
	] as const) {
		for (const match of proseLines(text)
			.join('\n')
			.matchAll(/\]\(#([^)]+)\)/g)) {
			if (!anchors.has(match[1])) problems.push(`${file}: the link (#${match[1]}) leads nowhere`);
		}
	}

	// The files each links to.
	const ruTargets = new Set(linkTargets(russian).map((link) => link.file));
	for (const file of new Set(linkTargets(english).map((link) => link.file))) {
		if (file !== 'README.ru.md' && !ruTargets.has(file)) {
			problems.push(`README.ru.md does not link to ${file} (README.md does)`);
		}
	}

	// The nodes' names.
	const russianNames = mentionedNames(russian, names);
	for (const name of mentionedNames(english, names)) {
		if (!russianNames.has(name)) {
			problems.push(
				`README.ru.md does not mention '${name}' (a name in the nodes, README.md has it)`,
			);
		}
	}

	// Example files.
	for (const file of new Set(english.match(/examples\/[\w.-]+\.json/g) ?? [])) {
		if (!russian.includes(file)) problems.push(`README.ru.md does not name ${file}`);
	}

	// Commands and environment variables.
	const ruCommands = new Set([
		...codeBlocks(russian).flatMap((block) => block.lines.map(commandOf)),
		...codeSpans(russian).map(commandOf),
	]);
	const enCommands = new Set([
		...codeBlocks(english)
			.filter((block) => ['sh', 'bash', 'shell'].includes(block.info))
			.flatMap((block) => block.lines.map(commandOf))
			.filter((line) => line !== '' && !line.startsWith('#')),
		...codeSpans(english)
			.map(commandOf)
			.filter((span) => COMMAND.test(span)),
	]);
	for (const command of enCommands) {
		if (!ruCommands.has(command)) {
			problems.push(`README.ru.md lacks the command \`${command}\` (in code, as README.md has it)`);
		}
	}
	for (const variable of new Set(english.match(ENV_VAR) ?? [])) {
		if (!new RegExp(`\\b${variable}\\b`).test(russian)) {
			problems.push(`README.ru.md does not mention ${variable}`);
		}
	}

	// Messages of the Credentials and Troubleshooting sections.
	const ruSpans = new Set(codeSpans(russian));
	for (const title of ['Credentials', 'Troubleshooting']) {
		for (const span of new Set(codeSpans(section(english, title)).filter((s) => s.includes(' ')))) {
			if (!ruSpans.has(span)) {
				problems.push(`README.ru.md lacks \`${span}\` (README.md's ${title}, verbatim in code)`);
			}
		}
	}
	return problems;
}
