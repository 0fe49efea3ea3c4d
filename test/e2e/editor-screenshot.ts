/**
 * Takes a screenshot of the EverGIS Tiling node's panel in the real n8n editor with headless Chromium
 * (Debian's `chromium`, installed by scripts/e2e/install-chromium.sh) driven by playwright-core.
 * Playwright's own browser download does not work on machines that reach only the npm registry and
 * Debian's mirrors, hence executablePath.
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

export interface EditorShotOptions {
	baseUrl: string;
	email: string;
	password: string;
	workflowId: string;
	/** The name of the EverGIS node on the canvas. */
	nodeName: string;
	file: string;
	executablePath?: string;
	/** Take the picture once an input of the panel shows a value matching this (options loaded). */
	settledWhen?: RegExp;
	timeoutMs?: number;
}

/**
 * Logs in through the sign-in page, opens the workflow, opens the node's panel (double click on
 * the canvas node) and saves a PNG of the window once the Upload to Catalog parameters show.
 */
export async function screenshotNodePanel(options: EditorShotOptions): Promise<EditorShot> {
	const userDataDir = mkdtempSync(join(tmpdir(), 'evergis-e2e-chromium-'));
	const problems: string[] = [];
	const timeout = options.timeoutMs ?? 60_000;
	let context: BrowserContext | undefined;
	try {
		context = await chromium.launchPersistentContext(userDataDir, {
			executablePath: options.executablePath ?? CHROMIUM,
			headless: true,
			args: CHROMIUM_ARGS,
			viewport: { width: 1440, height: 900 },
			deviceScaleFactor: 1,
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

		await signIn(page, options);
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
		await page.screenshot({ path: options.file, type: 'png' });
		return { file: options.file, panelText, values, problems };
	} finally {
		await context?.close().catch(() => undefined);
		rmSync(userDataDir, { recursive: true, force: true });
	}
}

async function signIn(page: Page, options: EditorShotOptions): Promise<void> {
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
