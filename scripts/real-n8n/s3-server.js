#!/usr/bin/env node
/*
 * An S3-compatible server for n8n's S3 node in the real-n8n tests: s3rver (a dev dependency) on
 * 127.0.0.1, path-style buckets only, objects kept in a folder of the test. Run by
 * test/real-n8n/sources.ts (startS3Server) as the test's own process, on the system's Node:
 *
 *   node scripts/real-n8n/s3-server.js --port <port> --dir <folder> --bucket <name> [--bucket <name>]
 *
 * Credentials: access key S3RVER, secret S3RVER (s3rver's own account: it refuses other access keys,
 * does not check version 4 signatures, and lets unsigned requests through). Prints one JSON line
 * per answered request to stdout, {"method","url","status","bytes"}, which the library counts
 * (object GETs per key), and {"listening":<port>} once it accepts connections.
 */
'use strict';

const http = require('node:http');
const S3rver = require('s3rver');

function parseArgs(argv) {
	const args = { port: 0, dir: undefined, buckets: [] };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--port') args.port = Number(argv[++i]);
		else if (arg === '--dir') args.dir = argv[++i];
		else if (arg === '--bucket') args.buckets.push(argv[++i]);
		else throw new Error(`unknown argument ${arg}`);
	}
	if (!args.dir) throw new Error('--dir is required');
	return args;
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	const s3rver = new S3rver({
		directory: args.dir,
		silent: true,
		vhostBuckets: false,
		configureBuckets: args.buckets.map((name) => ({ name })),
	});
	await s3rver.configureBuckets();
	// s3rver is a Koa app: its handler runs in a server of our own, which logs every answer.
	const handle = s3rver.callback();
	const server = http.createServer((req, res) => {
		// 'finish': the whole answer was handed to the system (a transfer cut short has none).
		res.on('finish', () => {
			const bytes = Number(res.getHeader('content-length') ?? 0);
			const line = { method: req.method, url: req.url, status: res.statusCode, bytes };
			process.stdout.write(JSON.stringify(line) + '\n');
		});
		handle(req, res);
	});
	server.listen(args.port, '127.0.0.1', () => {
		process.stdout.write(JSON.stringify({ listening: server.address().port }) + '\n');
	});
	process.on('SIGTERM', () => process.exit(0));
	process.on('SIGINT', () => process.exit(0));
}

main().catch((error) => {
	process.stderr.write(`s3-server: ${error.stack || error}\n`);
	process.exit(1);
});
