const { src, dest } = require('gulp');

// tsc compiles the TypeScript; n8n also needs, beside the compiled files, the icons (SVG) and the
// codex files (*.node.json: categories and documentation links of each node).
function copyAssets() {
	return src(['icons/**/*.svg', 'nodes/**/*.svg', 'nodes/**/*.node.json', 'credentials/**/*.svg'], {
		base: '.',
		encoding: false,
	}).pipe(dest('dist'));
}

exports['build:assets'] = copyAssets;
