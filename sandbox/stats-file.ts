import { renameSync, writeFileSync } from 'node:fs';

// Keeps a JSON file with {stats, tasks, uploads} up to date for other processes (an end-to-end
// test driving a real n8n reads its counts there). Written before the answer of every request
// that changed something, and by a timer when tasks end by the clock. Written to a temporary
// name and renamed, so that a reader never sees half a file.

export class StatsFileWriter {
	private path: string | undefined;
	private dirty = true;
	private timer: NodeJS.Timeout | undefined;

	constructor(
		private readonly snapshot: () => unknown,
		private readonly tick: () => void,
	) {}

	setPath(path: string | undefined): void {
		this.path = path;
		if (this.timer) clearInterval(this.timer);
		this.timer = undefined;
		if (path) {
			this.dirty = true;
			this.flush();
			this.timer = setInterval(() => {
				this.tick();
				this.flush();
			}, 200);
			this.timer.unref();
		}
	}

	markDirty(): void {
		this.dirty = true;
	}

	flush(): void {
		if (!this.path || !this.dirty) return;
		this.dirty = false;
		const tmp = `${this.path}.${process.pid}.tmp`;
		try {
			writeFileSync(tmp, `${JSON.stringify(this.snapshot(), null, '\t')}\n`);
			renameSync(tmp, this.path);
		} catch {
			// A stats file that cannot be written must not take the server down; try again later.
			this.dirty = true;
		}
	}

	stop(): void {
		this.flush();
		if (this.timer) clearInterval(this.timer);
		this.timer = undefined;
	}
}
