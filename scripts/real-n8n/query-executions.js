#!/usr/bin/env node
/*
 * Prints n8n's own execution records as JSON, read straight from n8n's database with the drivers of
 * the n8n install (sqlite3 for SQLite, pg for PostgreSQL). It reads the same environment variables
 * n8n does (N8N_USER_FOLDER, N8N_STORAGE_PATH, DB_TYPE, DB_SQLITE_DATABASE, DB_POSTGRESDB_*,
 * DB_TABLE_PREFIX), so it is run with the environment of the n8n processes it inspects, on the
 * Node.js that runs n8n:
 *
 *   <node 24> scripts/real-n8n/query-executions.js --app <n8n install app folder> [--data] [--workflow <id>]
 *   <node 24> scripts/real-n8n/query-executions.js --app <folder> --rows <table> --workflow <id>
 *
 * Output: one JSON array of { id, workflowId, status, mode, finished, createdAt, startedAt, stoppedAt,
 * waitTill, retryOf, storedAt, data? } sorted by id; `data` (with --data) is the run data (the object
 * n8n keeps per execution: { version, startData, resultData: { runData, ... }, executionData }),
 * unflattened as n8n does with `flatted`.
 *
 * With --rows, the workflow's rows of one of n8n 2.40's tables about its triggers instead, as stored
 * (JSON columns parsed): workflow_publication_trigger_status (each trigger's activation: 'activated'
 * or 'failed' with its errorMessage), poller_state (a poll trigger's durable cursor) or
 * scheduled_task (the durable scheduler's tasks, one per poll it ran). A release without the table
 * gives [].
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

/**
 * The tables --rows may read: each has a workflowId column, but scheduled_task, whose JSON payload
 * names the workflow ({"workflowId": …, "nodeId": …}).
 */
const ROW_TABLES = ['workflow_publication_trigger_status', 'poller_state', 'scheduled_task'];

/** JSON columns come back as text from SQLite. */
function parsedRow(row) {
	const out = {};
	for (const [key, value] of Object.entries(row)) {
		if (typeof value === 'string' && /^[[{]/.test(value)) {
			try {
				out[key] = JSON.parse(value);
				continue;
			} catch {
				// not JSON after all
			}
		}
		out[key] = value instanceof Date ? value.toISOString() : value;
	}
	return out;
}

function parseArgs(argv) {
	const args = { app: undefined, data: false, workflow: undefined, rows: undefined };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--app') args.app = argv[++i];
		else if (arg === '--data') args.data = true;
		else if (arg === '--workflow') args.workflow = argv[++i];
		else if (arg === '--rows') args.rows = argv[++i];
		else throw new Error(`unknown argument ${arg}`);
	}
	if (!args.app) throw new Error('--app <folder of the n8n install> is required');
	if (args.rows !== undefined && !ROW_TABLES.includes(args.rows)) {
		throw new Error(`--rows: one of ${ROW_TABLES.join(', ')}`);
	}
	if (args.rows !== undefined && !args.workflow) throw new Error('--rows needs --workflow <id>');
	return args;
}

function toIso(value) {
	if (value === null || value === undefined) return null;
	if (value instanceof Date) return value.toISOString();
	const text = String(value);
	// SQLite keeps "YYYY-MM-DD HH:MM:SS.mmm" in UTC
	if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(text))
		return text.replace(' ', 'T') + 'Z';
	return text;
}

function n8nFolder() {
	const userFolder = process.env.N8N_USER_FOLDER || require('node:os').homedir();
	return path.join(userFolder, '.n8n');
}

function readFsBundle(row, parse) {
	const storage =
		process.env.N8N_STORAGE_PATH ||
		process.env.N8N_BINARY_DATA_STORAGE_PATH ||
		path.join(n8nFolder(), 'storage');
	const file = path.join(
		storage,
		'workflows',
		String(row.workflowId),
		'executions',
		String(row.id),
		'execution_data',
		'bundle.json',
	);
	if (!fs.existsSync(file))
		return { error: `execution data stored in the filesystem, not found: ${file}` };
	const bundle = JSON.parse(fs.readFileSync(file, 'utf8'));
	const data = bundle && typeof bundle.data === 'string' ? parse(bundle.data) : bundle.data;
	return data === undefined ? bundle : data;
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	const appRequire = createRequire(path.join(path.resolve(args.app), 'package.json'));
	const { parse } = appRequire('flatted');
	const prefix = process.env.DB_TABLE_PREFIX || '';
	const type = process.env.DB_TYPE || 'sqlite';
	let rows;
	let dataRows = new Map();

	if (type === 'sqlite') {
		const sqlite3 = appRequire('sqlite3');
		const file = path.resolve(n8nFolder(), process.env.DB_SQLITE_DATABASE || 'database.sqlite');
		if (!fs.existsSync(file)) {
			process.stdout.write('[]\n');
			return;
		}
		const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY);
		const all = (sql, params) =>
			new Promise((resolve, reject) =>
				db.all(sql, params, (error, result) => (error ? reject(error) : resolve(result))),
			);
		db.configure('busyTimeout', 10000);
		if (args.rows) {
			const tables = await all(`select name from sqlite_master where type = 'table' and name = ?`, [
				prefix + args.rows,
			]);
			const found =
				tables.length === 0
					? []
					: await all(
							`select * from ${prefix}${args.rows} where ${args.rows === 'scheduled_task' ? 'payload like ?' : 'workflowId = ?'}`,
							[
								args.rows === 'scheduled_task'
									? `%"workflowId":"${args.workflow}"%`
									: args.workflow,
							],
						);
			await new Promise((resolve) => db.close(resolve));
			process.stdout.write(JSON.stringify(found.map(parsedRow)) + '\n');
			return;
		}
		const where = args.workflow ? 'where workflowId = ?' : '';
		const params = args.workflow ? [args.workflow] : [];
		rows = await all(`select * from ${prefix}execution_entity ${where} order by id`, params);
		if (args.data && rows.length > 0) {
			const data = await all(
				`select executionId, data from ${prefix}execution_data where executionId in (${rows.map(() => '?').join(',')})`,
				rows.map((row) => row.id),
			);
			dataRows = new Map(data.map((row) => [String(row.executionId), row.data]));
		}
		await new Promise((resolve) => db.close(resolve));
	} else if (type === 'postgresdb') {
		const { Client } = appRequire('pg');
		const client = new Client({
			host: process.env.DB_POSTGRESDB_HOST || 'localhost',
			port: Number(process.env.DB_POSTGRESDB_PORT || 5432),
			user: process.env.DB_POSTGRESDB_USER || 'postgres',
			password: process.env.DB_POSTGRESDB_PASSWORD || '',
			database: process.env.DB_POSTGRESDB_DATABASE || 'n8n',
		});
		await client.connect();
		const schema = process.env.DB_POSTGRESDB_SCHEMA || 'public';
		const table = (name) => `"${schema}"."${prefix}${name}"`;
		if (args.rows) {
			const exists = await client.query('select to_regclass($1) as found', [
				`${schema}.${prefix}${args.rows}`,
			]);
			const found = exists.rows[0].found
				? (
						await client.query(
							`select * from ${table(args.rows)} where ${args.rows === 'scheduled_task' ? 'payload::text like $1' : '"workflowId" = $1'}`,
							[
								args.rows === 'scheduled_task'
									? `%"workflowId":"${args.workflow}"%`
									: args.workflow,
							],
						)
					).rows
				: [];
			await client.end();
			process.stdout.write(JSON.stringify(found.map(parsedRow)) + '\n');
			return;
		}
		const where = args.workflow ? 'where "workflowId" = $1' : '';
		const params = args.workflow ? [args.workflow] : [];
		rows = (
			await client.query(`select * from ${table('execution_entity')} ${where} order by id`, params)
		).rows;
		if (args.data && rows.length > 0) {
			const data = await client.query(
				`select "executionId", data from ${table('execution_data')} where "executionId" = any($1::int[])`,
				[rows.map((row) => Number(row.id))],
			);
			dataRows = new Map(data.rows.map((row) => [String(row.executionId), row.data]));
		}
		await client.end();
	} else {
		throw new Error(`DB_TYPE ${type} is not supported here`);
	}

	const out = rows.map((row) => {
		const record = {
			id: String(row.id),
			workflowId: row.workflowId,
			status: row.status,
			mode: row.mode,
			finished: Boolean(row.finished),
			createdAt: toIso(row.createdAt),
			startedAt: toIso(row.startedAt),
			stoppedAt: toIso(row.stoppedAt),
			waitTill: toIso(row.waitTill),
			retryOf: row.retryOf === null || row.retryOf === undefined ? null : String(row.retryOf),
			storedAt: row.storedAt || 'db',
		};
		if (args.data) {
			if (record.storedAt === 'fs') {
				record.data = readFsBundle(row, parse);
			} else {
				const text = dataRows.get(String(row.id));
				record.data = typeof text === 'string' ? parse(text) : null;
			}
		}
		return record;
	});
	process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((error) => {
	process.stderr.write(`query-executions: ${error && error.stack ? error.stack : error}\n`);
	process.exit(1);
});
