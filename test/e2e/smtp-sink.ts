/**
 * A local SMTP sink for the end-to-end suite: a minimal ESMTP server on Node's `net` that accepts
 * every message and keeps it, so that a test can check what n8n's Send Email node delivered.
 *
 * Dialogue: 220 greeting; EHLO (advertises AUTH PLAIN LOGIN and SIZE, not STARTTLS) or HELO; AUTH
 * PLAIN / LOGIN (any user and password are accepted and recorded); MAIL FROM, RCPT TO, DATA (ends at
 * a line holding a single dot; dot-stuffing undone), RSET, NOOP, QUIT. STARTTLS is refused (502), so
 * a client that does not insist on TLS goes on in plain text. Messages are decoded enough to read
 * them: headers unfolded, RFC 2047 encoded words in the subject, quoted-printable or base64 bodies,
 * the text/plain part of a multipart message.
 */
import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface ReceivedMail {
	/** Envelope sender (MAIL FROM). */
	from: string;
	/** Envelope recipients (RCPT TO). */
	to: string[];
	/** What the client logged in with (AUTH), if it did. */
	auth?: { user: string; password: string };
	/** The EHLO/HELO name the client gave. */
	clientName: string;
	/** The message as sent (CRLF line ends, dot-stuffing undone). */
	raw: string;
	/** Header fields, names in lower case, values unfolded (and decoded for the subject). */
	headers: Record<string, string>;
	subject: string;
	/** The text/plain body, decoded. */
	text: string;
	receivedAt: Date;
}

export interface SmtpSink {
	port: number;
	host: string;
	/** Every message received so far, in order. */
	messages: ReceivedMail[];
	/** Every command line received (AUTH payloads replaced by '***'), for debugging. */
	transcript: string[];
	/** Resolves with the messages once `until(messages)` holds; rejects after `timeoutMs`. */
	waitFor(
		until: (messages: ReceivedMail[]) => boolean,
		timeoutMs?: number,
	): Promise<ReceivedMail[]>;
	close(): Promise<void>;
}

const NAME = 'e2e-smtp-sink.localhost';

export async function startSmtpSink(host = '127.0.0.1'): Promise<SmtpSink> {
	const messages: ReceivedMail[] = [];
	const transcript: string[] = [];
	const events = new EventEmitter();
	const sockets = new Set<Socket>();
	const server: Server = createServer((socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		serve(socket, transcript, (mail) => {
			messages.push(mail);
			events.emit('mail');
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, host, () => resolve());
	});
	const port = (server.address() as AddressInfo).port;
	return {
		port,
		host,
		messages,
		transcript,
		waitFor(until, timeoutMs = 60_000) {
			if (until(messages)) return Promise.resolve([...messages]);
			return new Promise<ReceivedMail[]>((resolve, reject) => {
				const onMail = () => {
					if (!until(messages)) return;
					clearTimeout(timer);
					events.off('mail', onMail);
					resolve([...messages]);
				};
				const timer = setTimeout(() => {
					events.off('mail', onMail);
					reject(
						new Error(
							`SMTP sink: condition not met within ${timeoutMs} ms; ${messages.length} message(s): ` +
								JSON.stringify(messages.map((m) => m.subject)),
						),
					);
				}, timeoutMs);
				events.on('mail', onMail);
			});
		},
		close() {
			for (const socket of sockets) socket.destroy();
			return new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

function serve(socket: Socket, transcript: string[], deliver: (mail: ReceivedMail) => void): void {
	let buffer = '';
	let clientName = '';
	let from: string | undefined;
	let to: string[] = [];
	let auth: { user: string; password: string } | undefined;
	let inData = false;
	let dataLines: string[] = [];
	// AUTH continuation: what the next line answers.
	let pending: 'plain' | 'login-user' | 'login-password' | undefined;
	let loginUser = '';

	const reply = (line: string) => {
		if (!socket.destroyed) socket.write(`${line}\r\n`);
	};
	const resetTransaction = () => {
		from = undefined;
		to = [];
	};

	const onLine = (line: string) => {
		if (inData) {
			if (line === '.') {
				inData = false;
				const raw = dataLines.join('\r\n');
				dataLines = [];
				deliver({
					from: from ?? '',
					to,
					auth,
					clientName,
					raw,
					...parseMessage(raw),
					receivedAt: new Date(),
				});
				resetTransaction();
				reply('250 2.0.0 Ok: queued');
			} else {
				dataLines.push(line.startsWith('..') ? line.slice(1) : line);
			}
			return;
		}
		if (pending) {
			transcript.push('***');
			const decoded = Buffer.from(line, 'base64').toString('utf8');
			if (pending === 'plain') {
				pending = undefined;
				auth = plainAuth(decoded);
				reply('235 2.7.0 Authentication successful');
			} else if (pending === 'login-user') {
				loginUser = decoded;
				pending = 'login-password';
				reply(`334 ${Buffer.from('Password:').toString('base64')}`);
			} else {
				pending = undefined;
				auth = { user: loginUser, password: decoded };
				reply('235 2.7.0 Authentication successful');
			}
			return;
		}
		const [verb = '', ...rest] = line.split(' ');
		const argument = rest.join(' ');
		const command = verb.toUpperCase();
		transcript.push(command === 'AUTH' ? `AUTH ${rest[0] ?? ''} ***` : line);
		switch (command) {
			case 'EHLO':
				clientName = argument;
				resetTransaction();
				reply(`250-${NAME} greets ${argument}`);
				reply('250-AUTH PLAIN LOGIN');
				reply('250 SIZE 104857600');
				return;
			case 'HELO':
				clientName = argument;
				resetTransaction();
				reply(`250 ${NAME}`);
				return;
			case 'STARTTLS':
				reply('502 5.5.1 STARTTLS is not offered here');
				return;
			case 'AUTH': {
				const mechanism = (rest[0] ?? '').toUpperCase();
				if (mechanism === 'PLAIN') {
					if (rest[1]) {
						auth = plainAuth(Buffer.from(rest[1], 'base64').toString('utf8'));
						reply('235 2.7.0 Authentication successful');
					} else {
						pending = 'plain';
						reply('334 ');
					}
				} else if (mechanism === 'LOGIN') {
					if (rest[1]) {
						loginUser = Buffer.from(rest[1], 'base64').toString('utf8');
						pending = 'login-password';
						reply(`334 ${Buffer.from('Password:').toString('base64')}`);
					} else {
						pending = 'login-user';
						reply(`334 ${Buffer.from('Username:').toString('base64')}`);
					}
				} else {
					reply('504 5.5.4 Unrecognized authentication type');
				}
				return;
			}
			case 'MAIL':
				from = address(argument);
				to = [];
				reply('250 2.1.0 Ok');
				return;
			case 'RCPT':
				if (from === undefined) {
					reply('503 5.5.1 MAIL first');
					return;
				}
				to.push(address(argument));
				reply('250 2.1.5 Ok');
				return;
			case 'DATA':
				if (from === undefined || to.length === 0) {
					reply('503 5.5.1 MAIL and RCPT first');
					return;
				}
				inData = true;
				dataLines = [];
				reply('354 End data with <CR><LF>.<CR><LF>');
				return;
			case 'RSET':
				resetTransaction();
				reply('250 2.0.0 Ok');
				return;
			case 'NOOP':
				reply('250 2.0.0 Ok');
				return;
			case 'QUIT':
				reply('221 2.0.0 Bye');
				socket.end();
				return;
			default:
				reply('502 5.5.2 Command not recognized');
		}
	};

	socket.setEncoding('utf8');
	socket.on('data', (chunk: string) => {
		buffer += chunk;
		let at: number;
		while ((at = buffer.indexOf('\n')) >= 0) {
			const line = buffer.slice(0, at).replace(/\r$/, '');
			buffer = buffer.slice(at + 1);
			onLine(line);
		}
	});
	socket.on('error', () => undefined);
	reply(`220 ${NAME} ESMTP e2e sink ready`);
}

function plainAuth(decoded: string): { user: string; password: string } {
	const [, user = '', password = ''] = decoded.split('\0');
	return { user, password };
}

/** `FROM:<a@b> SIZE=1` → `a@b` */
function address(argument: string): string {
	const match = /<([^>]*)>/.exec(argument);
	return match ? match[1] : (argument.split(':')[1] ?? '').trim();
}

function splitHeaders(raw: string): { headers: Record<string, string>; body: string } {
	const end = raw.indexOf('\r\n\r\n');
	const head = end >= 0 ? raw.slice(0, end) : raw;
	const body = end >= 0 ? raw.slice(end + 4) : '';
	const headers: Record<string, string> = {};
	for (const field of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
		const colon = field.indexOf(':');
		if (colon <= 0) continue;
		headers[field.slice(0, colon).trim().toLowerCase()] = field.slice(colon + 1).trim();
	}
	return { headers, body };
}

/** RFC 2047 encoded words (`=?UTF-8?Q?...?=`, `=?UTF-8?B?...?=`), as nodemailer writes them. */
export function decodeEncodedWords(value: string): string {
	return value
		.replace(/\?=\s+=\?/g, '?==?')
		.replace(
			/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g,
			(_all, _charset: string, kind: string, text: string) =>
				kind.toUpperCase() === 'B'
					? Buffer.from(text, 'base64').toString('utf8')
					: decodeQuotedPrintable(text.replace(/_/g, ' ')),
		);
}

function decodeQuotedPrintable(text: string): string {
	const bytes: number[] = [];
	const source = text.replace(/=\r?\n/g, '');
	for (let i = 0; i < source.length; i++) {
		const char = source[i];
		if (char === '=' && /^[0-9A-Fa-f]{2}$/.test(source.slice(i + 1, i + 3))) {
			bytes.push(parseInt(source.slice(i + 1, i + 3), 16));
			i += 2;
		} else {
			bytes.push(...Buffer.from(char, 'utf8'));
		}
	}
	return Buffer.from(bytes).toString('utf8');
}

function decodeBody(body: string, encoding: string | undefined): string {
	switch ((encoding ?? '7bit').toLowerCase()) {
		case 'quoted-printable':
			return decodeQuotedPrintable(body);
		case 'base64':
			return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
		default:
			return body;
	}
}

function textOf(headers: Record<string, string>, body: string): string {
	const type = headers['content-type'] ?? 'text/plain';
	const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
	if (/^multipart\//i.test(type) && boundary) {
		const parts = body.split(`--${boundary}`).slice(1);
		for (const part of parts) {
			if (part.startsWith('--')) break;
			const parsed = splitHeaders(part.replace(/^\r\n/, ''));
			const text = textOf(parsed.headers, parsed.body);
			if (text !== '') return text;
		}
		return '';
	}
	if (!/^text\/plain/i.test(type)) return '';
	return decodeBody(body, headers['content-transfer-encoding']).replace(/\r\n/g, '\n');
}

export function parseMessage(raw: string): {
	headers: Record<string, string>;
	subject: string;
	text: string;
} {
	const { headers, body } = splitHeaders(raw);
	const subject = decodeEncodedWords(headers.subject ?? '');
	headers.subject = subject;
	return { headers, subject, text: textOf(headers, body) };
}
