import { createServer } from 'node:net';

const handedOut = new Set<number>();

/** Listens on 127.0.0.1:`port` (0: the kernel picks one) and closes again: the port, or 0 if taken. */
function probe(port: number): Promise<number> {
	return new Promise<number>((resolve) => {
		const server = createServer();
		server.unref();
		server.on('error', () => resolve(0));
		server.listen(port, '127.0.0.1', () => {
			const address = server.address();
			const got = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(got));
		});
	});
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it). Ports already handed out
 * by this process are not handed out again, so that two processes started at once do not get the same.
 */
export async function freePort(): Promise<number> {
	for (let attempt = 0; attempt < 50; attempt++) {
		const port = await probe(0);
		if (port > 0 && !handedOut.has(port)) {
			handedOut.add(port);
			return port;
		}
	}
	throw new Error('freePort: no free port found');
}

export async function freePorts(count: number): Promise<number[]> {
	const ports: number[] = [];
	for (let i = 0; i < count; i++) ports.push(await freePort());
	return ports;
}

/**
 * `count` consecutive free ports, for a server that takes a range (vsftpd's passive ports): a free
 * port from the kernel and the ones after it, when those are free too.
 */
export async function freePortRange(count: number): Promise<number[]> {
	for (let attempt = 0; attempt < 50; attempt++) {
		const first = await freePort();
		const rest = Array.from({ length: count - 1 }, (_, i) => first + 1 + i);
		let free = rest.every((port) => port < 65536 && !handedOut.has(port));
		for (const port of rest) {
			if (!free) break;
			free = (await probe(port)) === port;
		}
		if (free) {
			for (const port of rest) handedOut.add(port);
			return [first, ...rest];
		}
	}
	throw new Error(`freePortRange: no ${count} consecutive free ports found`);
}
