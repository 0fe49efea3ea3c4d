import { describe, readCliConfig, USAGE } from './cli-config';
import { OptionError } from './options';
import { startSandbox } from './server';

// `npm run sandbox`: runs the EverGIS sandbox until SIGINT/SIGTERM.

async function main(): Promise<void> {
	let config;
	try {
		config = readCliConfig(process.env, process.argv.slice(2));
	} catch (error) {
		if (error instanceof OptionError) {
			console.error(`evergis-sandbox: ${error.message}\n\n${USAGE}`);
			process.exit(2);
		}
		throw error;
	}
	if (config.help) {
		console.log(USAGE);
		return;
	}
	// Signal handlers first: a parent that reads the URL line may signal at once.
	let stopping = false;
	const started = startSandbox(config.options);
	const stop = (signal: string): void => {
		if (stopping) return;
		stopping = true;
		console.log(`evergis-sandbox: ${signal}, stopping`);
		started
			.then((sandbox) => sandbox.close())
			.then(
				() => process.exit(0),
				(error: unknown) => {
					console.error(error);
					process.exit(1);
				},
			);
	};
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGTERM', () => stop('SIGTERM'));

	const sandbox = await started;
	// One write, so that a process reading the output gets the whole description at once.
	if (!stopping) console.log(describe(sandbox).join('\n'));
}

main().catch((error: unknown) => {
	console.error(`evergis-sandbox: ${(error as Error).message ?? String(error)}`);
	process.exit(1);
});
