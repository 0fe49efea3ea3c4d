/**
 * Child processes of the real-n8n harness. Each one is started in its own process group
 * (`detached: true`), so that stopping it also stops what it started (n8n's task runners, node-gyp,
 * postgres' backends). Every process started here is remembered until it is stopped: `stopAll()` (call
 * it from `afterAll`) stops those still running, a process 'exit' hook kills their groups, and a tiny
 * watchdog per group kills it if this (jest) process dies without running either.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export interface ExitInfo {
	code: number | null;
	signal: NodeJS.Signals | null;
}

export interface SpawnedOptions {
	/** A short name for logs and error messages. */
	name: string;
	env?: NodeJS.ProcessEnv;
	cwd?: string;
	/** Run as this user (when this process is root): postgres refuses to run as root. */
	uid?: number;
	gid?: number;
	/** Every line of stdout and stderr is also appended to this file. */
	logFile?: string;
	/** Called for every line of stdout and stderr. */
	onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
	/** Keep at most this many lines in memory (oldest dropped); default 20000. */
	maxLines?: number;
}

export class SpawnedProcess {
	readonly name: string;
	readonly child: ChildProcess;
	readonly pid: number;
	/** Lines of stdout and stderr, in the order they arrived. */
	readonly lines: string[] = [];
	readonly exited: Promise<ExitInfo>;
	exitInfo: ExitInfo | undefined;
	private readonly waiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];
	private readonly maxLines: number;
	private readonly log: WriteStream | undefined;

	constructor(command: string, args: string[], opts: SpawnedOptions) {
		this.name = opts.name;
		this.maxLines = opts.maxLines ?? 20_000;
		const spawnOptions: SpawnOptions = {
			cwd: opts.cwd,
			env: opts.env ?? process.env,
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe'],
		};
		if (opts.uid !== undefined) spawnOptions.uid = opts.uid;
		if (opts.gid !== undefined) spawnOptions.gid = opts.gid;
		this.child = spawn(command, args, spawnOptions);
		if (this.child.pid === undefined) {
			// spawn failed synchronously (ENOENT is reported through 'error' below)
			this.pid = -1;
		} else {
			this.pid = this.child.pid;
			live.add(this);
			startWatchdog(this.pid);
		}
		this.log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
		const onLine = opts.onLine;
		const attach = (stream: NodeJS.ReadableStream | null, which: 'stdout' | 'stderr') => {
			if (!stream) return;
			let rest = '';
			stream.setEncoding('utf8');
			stream.on('data', (chunk: string) => {
				rest += chunk;
				let nl: number;
				while ((nl = rest.indexOf('\n')) >= 0) {
					const line = rest.slice(0, nl).replace(/\r$/, '');
					rest = rest.slice(nl + 1);
					this.addLine(line, which, onLine);
				}
			});
			stream.on('end', () => {
				if (rest.length > 0) this.addLine(rest, which, onLine);
				rest = '';
			});
		};
		attach(this.child.stdout, 'stdout');
		attach(this.child.stderr, 'stderr');
		this.exited = new Promise<ExitInfo>((resolve) => {
			this.child.on('error', (error) => {
				this.addLine(`[spawn error] ${error.message}`, 'stderr', onLine);
				this.exitInfo ??= { code: -1, signal: null };
				live.delete(this);
				resolve(this.exitInfo);
			});
			this.child.on('close', (code, signal) => {
				this.exitInfo = { code, signal };
				live.delete(this);
				this.log?.end();
				resolve(this.exitInfo);
			});
		});
	}

	get running(): boolean {
		return this.exitInfo === undefined;
	}

	/** All output so far as one string. */
	get output(): string {
		return this.lines.join('\n');
	}

	/** The last `n` lines, for error messages. */
	tail(n = 40): string {
		return this.lines.slice(-n).join('\n');
	}

	/** Resolves with the first line (already seen or still to come) that matches `re`. */
	waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
		const seen = this.lines.find((line) => re.test(line));
		if (seen !== undefined) return Promise.resolve(seen);
		return new Promise<string>((resolve, reject) => {
			const waiter = { re, resolve: (line: string) => finish(() => resolve(line)) };
			const timer = setTimeout(
				() =>
					finish(() =>
						reject(
							new Error(
								`${this.name}: no line matching ${re} within ${timeoutMs} ms; last lines:\n${this.tail()}`,
							),
						),
					),
				timeoutMs,
			);
			const onExit = () =>
				finish(() =>
					reject(
						new Error(
							`${this.name} exited (${describeExit(this.exitInfo)}) before printing a line matching ${re}; last lines:\n${this.tail()}`,
						),
					),
				);
			void this.exited.then(onExit);
			let done = false;
			const finish = (action: () => void) => {
				if (done) return;
				done = true;
				clearTimeout(timer);
				const at = this.waiters.indexOf(waiter);
				if (at >= 0) this.waiters.splice(at, 1);
				action();
			};
			this.waiters.push(waiter);
		});
	}

	/**
	 * Sends `signal` to the whole process group, waits up to `timeoutMs` for the leader to exit, then
	 * kills the group. Resolves when the leader has exited.
	 */
	async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<ExitInfo> {
		if (this.pid > 0) {
			if (this.running) {
				killGroup(this.pid, signal);
				const timer = setTimeout(() => killGroup(this.pid, 'SIGKILL'), timeoutMs);
				await this.exited;
				clearTimeout(timer);
			}
			// Children that outlived their leader (a task runner, say) go too.
			killGroup(this.pid, 'SIGKILL');
		}
		return this.exited;
	}

	private addLine(
		line: string,
		which: 'stdout' | 'stderr',
		onLine: SpawnedOptions['onLine'] | undefined,
	): void {
		this.lines.push(line);
		if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
		this.log?.write(line + '\n');
		onLine?.(line, which);
		for (const waiter of [...this.waiters]) {
			if (waiter.re.test(line)) waiter.resolve(line);
		}
	}
}

export function describeExit(info: ExitInfo | undefined): string {
	if (!info) return 'still running';
	return info.signal ? `signal ${info.signal}` : `code ${info.code}`;
}

const live = new Set<SpawnedProcess>();

/** Starts `command` in a new process group; see the file comment. */
export function spawnProcess(
	command: string,
	args: string[],
	opts: SpawnedOptions,
): SpawnedProcess {
	return new SpawnedProcess(command, args, opts);
}

/** Runs a command to its end and returns its output; rejects on a non-zero exit or a timeout. */
export async function runProcess(
	command: string,
	args: string[],
	opts: SpawnedOptions & { timeoutMs?: number; allowFailure?: boolean },
): Promise<{ exit: ExitInfo; stdout: string[]; stderr: string[]; lines: string[] }> {
	const stdout: string[] = [];
	const stderr: string[] = [];
	const userOnLine = opts.onLine;
	const proc = spawnProcess(command, args, {
		...opts,
		onLine: (line, stream) => {
			(stream === 'stdout' ? stdout : stderr).push(line);
			userOnLine?.(line, stream);
		},
		maxLines: opts.maxLines ?? 1_000_000,
	});
	const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
	let timedOut = false;
	const timer = setTimeout(() => {
		timedOut = true;
		void proc.stop('SIGKILL');
	}, timeoutMs);
	const exit = await proc.exited;
	clearTimeout(timer);
	// The group may hold children still (e.g. a task runner); they are not wanted after the end.
	if (proc.pid > 0) killGroup(proc.pid, 'SIGKILL');
	if (timedOut) {
		throw new Error(`${opts.name}: timed out after ${timeoutMs} ms; last lines:\n${proc.tail()}`);
	}
	if (!opts.allowFailure && exit.code !== 0) {
		throw new Error(`${opts.name}: exited with ${describeExit(exit)}; last lines:\n${proc.tail()}`);
	}
	return { exit, stdout, stderr, lines: proc.lines };
}

/** Stops every process started through this module that is still running. */
export async function stopAll(): Promise<void> {
	await Promise.all([...live].map((proc) => proc.stop()));
}

export function runningProcesses(): SpawnedProcess[] {
	return [...live];
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pid, signal);
	} catch {
		// ESRCH: the group is gone already
	}
}

process.on('exit', () => {
	for (const proc of live) killGroup(proc.pid, 'SIGKILL');
});

/**
 * A detached `sh` loop that kills process group `pgid` once this process is gone (jest killed with
 * SIGKILL, say) and ends by itself once the group is gone.
 */
function startWatchdog(pgid: number): void {
	// POSIX sh (dash here): `kill -0 -PGID` probes a group; dash's kill takes no `--`.
	const script =
		'while kill -0 "$1" 2>/dev/null && kill -0 "-$2" 2>/dev/null; do sleep 2; done; ' +
		'kill -KILL "-$2" 2>/dev/null; exit 0';
	try {
		const dog = spawn('sh', ['-c', script, 'watchdog', String(process.pid), String(pgid)], {
			detached: true,
			stdio: 'ignore',
		});
		dog.on('error', () => undefined);
		dog.unref();
	} catch {
		// without a watchdog the exit hook and stopAll() still do the job
	}
}
