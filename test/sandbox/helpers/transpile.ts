import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Transpiles sandbox/**.ts (no type check, like ts-jest) into a folder under build/, so that a
 * test can run the real CLI in a child process without building the whole repository (whose
 * other parts may be mid-change). Returns the path of cli.js. The folder sits inside the repo so
 * that `require('busboy')` resolves from node_modules.
 */
export function transpileSandbox(repoRoot: string, outName: string): string {
	const src = join(repoRoot, 'sandbox');
	const out = join(repoRoot, 'build', outName);
	const walk = (dir: string): string[] =>
		readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
			d.isDirectory() ? walk(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
		);
	for (const file of walk(src)) {
		const result = ts.transpileModule(readFileSync(file, 'utf8'), {
			compilerOptions: {
				module: ts.ModuleKind.CommonJS,
				target: ts.ScriptTarget.ES2022,
				esModuleInterop: true,
			},
			fileName: file,
		});
		const target = join(out, 'sandbox', relative(src, file)).replace(/\.ts$/, '.js');
		mkdirSync(dirname(target), { recursive: true });
		writeFileSync(target, result.outputText);
	}
	return join(out, 'sandbox', 'cli.js');
}
