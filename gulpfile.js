const { src, dest } = require('gulp');

// tsc compiles the TypeScript; n8n also needs the node and credential icons beside the compiled files.
function copyIcons() {
	return src(['icons/**/*.svg', 'nodes/**/*.svg', 'credentials/**/*.svg'], { base: '.', encoding: false }).pipe(dest('dist'));
}

exports['build:icons'] = copyIcons;
