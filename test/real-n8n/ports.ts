import { createServer } from 'node:net';

const handedOut = new Set<number>();

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it). Ports already handed out
 * by this process are not handed out again, so that two processes started at once do not get the same.
 */
export async function freePort(): Promise<number> {
	for (let attempt = 0; attempt < 50; attempt++) {
		const port = await new Promise<number>((resolve, reject) => {
			const server = createServer();
			server.unref();
			server.on('error', reject);
			server.listen(0, '127.0.0.1', () => {
				const address = server.address();
				const got = typeof address === 'object' && address ? address.port : 0;
				server.close(() => resolve(got));
			});
		});
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
