/**
 * An EverGIS behind HTTPS whose certificate comes from a company CA that Node does not know (as
 * servers in Russia often have: a company CA, or the Russian Trusted Root CA): a root, a sub CA and
 * the server's certificate, made here with openssl; the server sends its certificate and the sub CA,
 * not the root. What the credentials' Test and a run say, that Ignore SSL Issues gets through, and
 * that NODE_EXTRA_CA_CERTS, the README's advice, makes n8n's own request function trust it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { TestEngine } from '../helpers/engine';
import { tilingWorkflow, uploadParameters } from '../helpers/workflows';

let dir: string;
let sandbox: Sandbox;
let engine: TestEngine;
let proxy: Server;
let host: string;

/** Root CA → sub CA → a certificate for 127.0.0.1, each valid for two days. */
function makeCertificates(folder: string) {
	const openssl = (...args: string[]) =>
		execFileSync('openssl', args, { cwd: folder, stdio: ['ignore', 'ignore', 'pipe'] });
	const key = (name: string) =>
		openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name);
	writeFileSync(
		join(folder, 'ca.ext'),
		'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n',
	);
	writeFileSync(
		join(folder, 'server.ext'),
		'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
	);
	key('root.key');
	openssl(
		...['req', '-x509', '-new', '-key', 'root.key', '-out', 'root.pem', '-days', '2'],
		...['-subj', '/O=Example Company/CN=Example Company Root CA'],
		...['-addext', 'basicConstraints=critical,CA:TRUE'],
		...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
	);
	const sign = (name: string, subject: string, issuer: string, ext: string) => {
		key(`${name}.key`);
		openssl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
		openssl(
			...['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`],
			...['-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', ext],
		);
	};
	sign('sub', '/O=Example Company/CN=Example Company Sub CA', 'root', 'ca.ext');
	sign('server', '/O=Example Company/CN=127.0.0.1', 'sub', 'server.ext');
}

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'evergis-tls-'));
	makeCertificates(dir);
	sandbox = await startSandbox({ taskDurationMs: 200 });
	engine = await TestEngine.create();
	// HTTPS in front of the sandbox: every request passed on as it came.
	const target = new URL(sandbox.origin);
	proxy = createServer(
		{
			key: readFileSync(join(dir, 'server.key')),
			cert:
				readFileSync(join(dir, 'server.pem'), 'utf8') + readFileSync(join(dir, 'sub.pem'), 'utf8'),
		},
		(req, res) => {
			const upstream = httpRequest(
				{
					host: target.hostname,
					port: target.port,
					method: req.method,
					path: req.url,
					headers: req.headers,
				},
				(answer) => {
					res.writeHead(answer.statusCode ?? 502, answer.headers);
					answer.pipe(res);
				},
			);
			upstream.on('error', () => res.destroy());
			req.pipe(upstream);
		},
	);
	await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
	host = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}/sp`;
});

afterAll(async () => {
	await new Promise((resolve) => proxy?.close(resolve));
	await sandbox?.close();
	rmSync(dir, { recursive: true, force: true });
});

const demo = () => ({ host, username: 'demo', password: 'demo-password' });

const UNTRUSTED =
	'its TLS certificate is issued by a certificate authority that n8n does not trust ' +
	'(UNABLE_TO_GET_ISSUER_CERT_LOCALLY): give n8n the CA with NODE_EXTRA_CA_CERTS';

test('Test (credentials): the message names the code and NODE_EXTRA_CA_CERTS (the Test shows only the message)', async () => {
	expect(await engine.testCredentials(demo())).toEqual({
		status: 'Error',
		message: `Could not log in to EverGIS at ${host}: ${UNTRUSTED}`,
	});
});

test('a run: the same message, and a description that says how', async () => {
	engine.setCredentials('cred-tls', demo());
	const result = await engine.run(
		tilingWorkflow(uploadParameters('demo.landsat_images'), undefined, {
			credentials: { everGisApi: { id: 'cred-tls', name: 'TLS' } },
		}),
	);
	expect(result.error?.message).toBe(
		`Could not log in to EverGIS at ${host}: ${UNTRUSTED} [item 0]`,
	);
	expect(result.error?.description).toContain('NODE_EXTRA_CA_CERTS=/path/to/ca.pem');
	expect(result.error?.description).toContain('Ignore SSL Issues');
});

test('Ignore SSL Issues gets through (and loads the raster)', async () => {
	expect((await engine.testCredentials({ ...demo(), ignoreSslIssues: true })).status).toBe('OK');
	engine.setCredentials('cred-insecure', { ...demo(), ignoreSslIssues: true });
	const result = await engine.run(
		tilingWorkflow(
			uploadParameters('demo.landsat_images', { options: { pollInterval: 0.1 } }),
			undefined,
			{ credentials: { everGisApi: { id: 'cred-insecure', name: 'insecure' } } },
		),
	);
	expect(result.error).toBeUndefined();
	expect(result.output('EverGIS')[0].json.status).toBe('Completed');
});

/**
 * NODE_EXTRA_CA_CERTS is read when a Node process starts, so it is tried in a new process: n8n's own
 * request function (@n8n/backend-network's httpRequest, which n8n's helpers and the login use; it
 * sets no `ca` of its own) logs in through the proxy, with and without the root CA.
 */
const N8N_HTTP_REQUEST = join(
	dirname(require.resolve('@n8n/backend-network')),
	'http',
	'axios',
	'request.js',
);

function loginInChildProcess(extraCa?: string): Promise<string> {
	const script = `
		const { httpRequest } = require(${JSON.stringify(N8N_HTTP_REQUEST)});
		httpRequest({ method: 'POST', url: ${JSON.stringify(`${host}/account/login`)}, json: true,
			body: { username: 'demo', password: 'demo-password' }, returnFullResponse: true })
			.then((answer) => console.log('HTTP ' + answer.statusCode + (answer.body && answer.body.token ? ' token' : '')))
			.catch((error) => { let e = error; while (e && !e.code && e.cause) e = e.cause; console.log('failed ' + (e && e.code)); });
	`;
	const env = { ...process.env };
	delete env.NODE_EXTRA_CA_CERTS;
	if (extraCa) env.NODE_EXTRA_CA_CERTS = extraCa;
	return new Promise((resolve, reject) =>
		execFile(process.execPath, ['-e', script], { env, timeout: 30_000 }, (error, stdout) =>
			error ? reject(error) : resolve(stdout.trim()),
		),
	);
}

test("NODE_EXTRA_CA_CERTS with the company's root CA: n8n's request function logs in; without it, UNABLE_TO_GET_ISSUER_CERT_LOCALLY", async () => {
	const [without, withRoot] = await Promise.all([
		loginInChildProcess(),
		loginInChildProcess(join(dir, 'root.pem')),
	]);
	expect(without).toBe('failed UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
	expect(withRoot).toBe('HTTP 200 token');
});
