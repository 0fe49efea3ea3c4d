/**
 * Screenshots of the real n8n editor for the README (docs/screenshots/), with headless Chromium
 * (Debian's `chromium`, installed by scripts/e2e/install-chromium.sh) driven by playwright-core: the
 * EverGIS Tiling node's panel, a workflow's canvas, and a credential's dialog. Playwright's own
 * browser download does not work on machines that reach only the npm registry and Debian's mirrors,
 * hence executablePath.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { repoRoot, runProcess } from '../real-n8n';

export const CHROMIUM = '/usr/bin/chromium';

/** The little of the browser's DOM the functions run in the page use (this project has no DOM lib). */
declare const document: {
	querySelectorAll(selector: string): Iterable<{ value?: string }>;
	fonts: { ready: Promise<unknown> };
};
interface BoxOfElement {
	getBoundingClientRect(): { left: number; top: number; right: number; bottom: number };
}

const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

/** Runs scripts/e2e/install-chromium.sh (apt-get install chromium when it is missing). */
export async function ensureChromium(): Promise<string> {
	const result = await runProcess(
		'bash',
		[join(repoRoot(), 'scripts', 'e2e', 'install-chromium.sh')],
		{
			name: 'install-chromium.sh',
			timeoutMs: 20 * 60_000,
			onLine: (line, stream) => {
				if (stream === 'stderr') process.stderr.write(`${line}\n`);
			},
		},
	);
	const line = result.stdout.find((text) => text.startsWith('CHROMIUM='));
	if (!line)
		throw new Error(
			`install-chromium.sh printed no CHROMIUM=; output:\n${result.lines.join('\n')}`,
		);
	return line.slice('CHROMIUM='.length);
}

export interface EditorLogin {
	baseUrl: string;
	email: string;
	password: string;
	executablePath?: string;
	timeoutMs?: number;
}

export interface EditorShot {
	/** The PNG written. */
	file: string;
	/** Texts seen in the node panel when the picture was taken. */
	panelText: string;
	/** The values of the panel's inputs (selected options, the credential, the catalog). */
	values: string[];
	/** Browser console errors and failed requests, for the report. */
	problems: string[];
}

export interface EditorShotOptions extends EditorLogin {
	workflowId: string;
	/** The name of the EverGIS node on the canvas. */
	nodeName: string;
	file: string;
	/** Take the picture once an input of the panel shows a value matching this (options loaded). */
	settledWhen?: RegExp;
}

/**
 * A page of a fresh headless Chromium (1440×900, `scale` device pixels per CSS pixel), signed in
 * to n8n; `use` gets it and the list its console errors and failed requests go to.
 */
async function withEditorPage<T>(
	login: EditorLogin,
	scale: number,
	use: (page: Page, problems: string[]) => Promise<T>,
): Promise<T> {
	const userDataDir = mkdtempSync(join(tmpdir(), 'evergis-e2e-chromium-'));
	const problems: string[] = [];
	const timeout = login.timeoutMs ?? 60_000;
	let context: BrowserContext | undefined;
	try {
		context = await chromium.launchPersistentContext(userDataDir, {
			executablePath: login.executablePath ?? CHROMIUM,
			headless: true,
			args: CHROMIUM_ARGS,
			viewport: { width: 1440, height: 900 },
			deviceScaleFactor: scale,
			timeout,
		});
		context.setDefaultTimeout(timeout);
		const page = context.pages()[0] ?? (await context.newPage());
		page.on('console', (message) => {
			if (message.type() === 'error') problems.push(`console: ${message.text().slice(0, 300)}`);
		});
		page.on('requestfailed', (request) =>
			problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`),
		);
		await signIn(page, login);
		return await use(page, problems);
	} finally {
		await context?.close().catch(() => undefined);
		rmSync(userDataDir, { recursive: true, force: true });
	}
}

/**
 * Logs in through the sign-in page, opens the workflow, opens the node's panel (double click on
 * the canvas node) and saves a PNG of the window once the Upload to Catalog parameters show.
 */
export async function screenshotNodePanel(options: EditorShotOptions): Promise<EditorShot> {
	return withEditorPage(options, 1, async (page, problems) => {
		const timeout = options.timeoutMs ?? 60_000;
		await page.goto(`${options.baseUrl}/workflow/${options.workflowId}`);
		const node = page.locator(`[data-test-id="canvas-node"][data-node-name="${options.nodeName}"]`);
		await node.waitFor({ state: 'visible' });
		await node.dblclick();
		const panel = page.locator('[data-test-id="ndv"]');
		await panel.waitFor({ state: 'visible' });
		// The Upload to Catalog parameters: the catalog picker and the attribute fields.
		const parameters = panel.locator('[data-test-id="node-parameters"]');
		await parameters.getByText('Catalog', { exact: true }).first().waitFor({ state: 'visible' });
		await parameters
			.getByText('Attributes', { exact: false })
			.first()
			.waitFor({ state: 'visible' });
		const inputValues = () =>
			panel.locator('input').evaluateAll((inputs) => inputs.map((input) => input.value ?? ''));
		if (options.settledWhen) {
			// Options the node loads from EverGIS (the attribute names) have arrived.
			await page.waitForFunction(
				([source, flags]) => {
					const pattern = new RegExp(source, flags);
					return [...document.querySelectorAll('[data-test-id="ndv"] input')].some((input) =>
						pattern.test(input.value ?? ''),
					);
				},
				[options.settledWhen.source, options.settledWhen.flags],
				{ timeout },
			);
		}
		await page.evaluate(() => document.fonts.ready);
		const panelText = (await parameters.innerText()).replace(/\s+/g, ' ');
		const values = await inputValues();
		mkdirSync(dirname(options.file), { recursive: true });
		await page.screenshot({ path: options.file, type: 'png', animations: 'disabled' });
		return { file: options.file, panelText, values, problems };
	});
}

export interface CanvasShot {
	file: string;
	/** The names of the nodes on the canvas. */
	nodes: string[];
	/** How many nodes show an issue (a missing credential or parameter) or a warning. */
	nodesWithIssues: number;
	problems: string[];
}

/**
 * Opens the workflow and saves a PNG of its canvas as n8n first shows it (fitted to the window),
 * cut to the nodes and their labels, at twice the pixels (a wide workflow stays legible scaled down).
 */
export async function screenshotCanvas(
	options: EditorLogin & { workflowId: string; file: string },
): Promise<CanvasShot> {
	return withEditorPage(options, 2, async (page, problems) => {
		await page.goto(`${options.baseUrl}/workflow/${options.workflowId}`);
		const nodes = page.locator('[data-test-id="canvas-node"]');
		await nodes.first().waitFor({ state: 'visible' });
		await page.evaluate(() => document.fonts.ready);
		// The canvas fits the view once its nodes are measured; wait until they stop moving.
		let boxes = '';
		for (let tries = 0; tries < 20; tries++) {
			const now = JSON.stringify(
				await nodes.evaluateAll((all) =>
					all.map((node) => {
						// Runs in the page: everything it uses is in here.
						const rect = (node as BoxOfElement).getBoundingClientRect();
						return [rect.left, rect.top, rect.right, rect.bottom];
					}),
				),
			);
			if (now === boxes) break;
			boxes = now;
			await page.waitForTimeout(250);
		}
		const rects = JSON.parse(boxes) as number[][];
		// Labels hang below a node (two lines and the subtitle) and beside it.
		const clip = {
			x: Math.max(0, Math.min(...rects.map((r) => r[0])) - 80),
			y: Math.max(0, Math.min(...rects.map((r) => r[1])) - 40),
			right: Math.min(1440, Math.max(...rects.map((r) => r[2])) + 80),
			bottom: Math.min(900, Math.max(...rects.map((r) => r[3])) + 70),
		};
		const names = await nodes.evaluateAll((all) =>
			all.map(
				(node) =>
					(node as { getAttribute(name: string): string | null }).getAttribute('data-node-name') ??
					'',
			),
		);
		const nodesWithIssues = await page
			.locator(
				'[data-test-id="canvas-node"] [data-test-id="node-issues"], [data-test-id="canvas-node"] [data-test-id="canvas-node-status-warning"]',
			)
			.count();
		mkdirSync(dirname(options.file), { recursive: true });
		await page.screenshot({
			path: options.file,
			type: 'png',
			animations: 'disabled',
			clip: { x: clip.x, y: clip.y, width: clip.right - clip.x, height: clip.bottom - clip.y },
		});
		return { file: options.file, nodes: names, nodesWithIssues, problems };
	});
}

export interface CredentialShot {
	file: string;
	/** The dialog's text when the picture was taken. */
	text: string;
	problems: string[];
}

/**
 * Opens the credential's dialog (`/home/credentials/<id>`), waits for n8n's test of it
 * ("Connection tested successfully", which n8n runs when it opens a saved credential) and saves a
 * PNG of the dialog.
 */
export async function screenshotCredential(
	options: EditorLogin & { credentialId: string; file: string },
): Promise<CredentialShot> {
	return withEditorPage(options, 1, async (page, problems) => {
		await page.goto(`${options.baseUrl}/home/credentials/${options.credentialId}`);
		// The modal (its header with the name and Save, then the fields) around the fields' part:
		// n8n's dialogs are Element Plus's .el-dialog.
		const dialog = page
			.locator('[data-test-id="credential-edit-dialog"]')
			.locator(
				'xpath=ancestor::div[contains(concat(" ", normalize-space(@class), " "), " el-dialog ")][1]',
			);
		await dialog.waitFor({ state: 'visible' });
		await page
			.locator('[data-test-id="credentials-config-container-test-success"]')
			.waitFor({ state: 'visible' });
		// n8n tests a saved credential when it opens it: its button says Retrying, then Retry. While
		// it tests, n8n 2.40.7's N8nButton holds a spinner's container and hides the label
		// (N8nButton-*.css: `.loading-container + .button-inner { opacity: 0 }`); the container
		// leaves with a 0.2-s fade (`n8n-button-fade`) after the test, and a picture taken meanwhile
		// shows an empty button. So the picture is taken once the container is gone, and again if
		// n8n started another test meanwhile.
		await dialog.getByRole('button', { name: 'Retry', exact: true }).waitFor({ state: 'visible' });
		const spinner = page.locator(
			'[data-test-id="credentials-config-container-test-success"] button [class*="loading-container"]',
		);
		await page.evaluate(() => document.fonts.ready);
		const box = await dialog.boundingBox();
		if (!box) throw new Error('the credential dialog has no box');
		mkdirSync(dirname(options.file), { recursive: true });
		for (let attempt = 1; ; attempt++) {
			await spinner.waitFor({ state: 'detached' });
			await page.screenshot({
				path: options.file,
				type: 'png',
				animations: 'disabled',
				clip: {
					x: Math.max(0, box.x - 12),
					y: Math.max(0, box.y - 12),
					width: Math.min(1440, box.x + box.width + 12) - Math.max(0, box.x - 12),
					height: Math.min(900, box.y + box.height + 12) - Math.max(0, box.y - 12),
				},
			});
			if ((await spinner.count()) === 0) break;
			if (attempt === 5) throw new Error("n8n's test of the credential kept running");
		}
		const text = (await dialog.innerText()).replace(/\s+/g, ' ');
		return { file: options.file, text, problems };
	});
}

async function signIn(page: Page, options: EditorLogin): Promise<void> {
	await page.goto(`${options.baseUrl}/signin`);
	const email = page.locator('input[name="emailOrLdapLoginId"], input[type="email"]').first();
	await email.waitFor({ state: 'visible' });
	await email.fill(options.email);
	await page
		.locator('input[name="password"], input[type="password"]')
		.first()
		.fill(options.password);
	await page.locator('[data-test-id="form-submit-button"], button[type="submit"]').first().click();
	await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}
