import { open, type FileHandle } from 'node:fs/promises';

// The sandbox's stand-in for EverGIS's raster reader: it checks that a stored file is a readable
// TIFF (classic or BigTIFF) by reading its header and directories only, never the whole file.

export type RasterCheck =
	| { ok: true; width: number; height: number; images: number; tiles: number }
	| { ok: false; message: string };

/** How many tile/strip starts are read to check JPEG markers, per file. */
const MAX_JPEG_CHECKS = 4096;
/** A directory chain longer than this is taken as a loop or garbage. */
const MAX_IMAGES = 1024;
/** Offsets arrays larger than this (in entries) are not read. */
const MAX_BLOCKS = 4_000_000;

const TAG = {
	ImageWidth: 256,
	ImageLength: 257,
	Compression: 259,
	StripOffsets: 273,
	StripByteCounts: 279,
	TileOffsets: 324,
	TileByteCounts: 325,
} as const;

const TYPE_SIZE: Record<number, number> = {
	1: 1,
	2: 1,
	3: 2,
	4: 4,
	5: 8,
	6: 1,
	7: 1,
	8: 2,
	9: 4,
	10: 8,
	11: 4,
	12: 8,
	13: 4,
	16: 8,
	17: 8,
	18: 8,
};

class Damaged extends Error {}

interface Entry {
	type: number;
	count: number;
	/** The raw value field (4 or 8 bytes). */
	inline: Buffer;
}

/** Tiles of a 256-px pyramid, from full resolution down to one tile. */
export function pyramidTiles(width: number, height: number): number {
	let tiles = 0;
	let w = width;
	let h = height;
	for (;;) {
		const tx = Math.ceil(w / 256);
		const ty = Math.ceil(h / 256);
		tiles += tx * ty;
		if (tx <= 1 && ty <= 1) return tiles;
		w = Math.ceil(w / 2);
		h = Math.ceil(h / 2);
	}
}

class TiffReader {
	little = true;
	big = false;

	constructor(
		private readonly fh: FileHandle,
		readonly size: number,
	) {}

	async read(offset: number, length: number, what: string): Promise<Buffer> {
		if (offset + length > this.size) {
			throw new Damaged(
				`${what} ends at byte ${offset + length}, past the end of the file (${this.size} bytes)`,
			);
		}
		const buf = Buffer.alloc(length);
		const { bytesRead } = await this.fh.read(buf, 0, length, offset);
		if (bytesRead !== length) throw new Damaged(`${what} could not be read`);
		return buf;
	}

	u16(b: Buffer, o: number): number {
		return this.little ? b.readUInt16LE(o) : b.readUInt16BE(o);
	}

	u32(b: Buffer, o: number): number {
		return this.little ? b.readUInt32LE(o) : b.readUInt32BE(o);
	}

	u64(b: Buffer, o: number): number {
		const v = this.little ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
		return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
	}

	/** Reads the integer values of an entry (SHORT, LONG, LONG8). */
	async values(entry: Entry, what: string): Promise<number[]> {
		const size = TYPE_SIZE[entry.type];
		if (![3, 4, 16].includes(entry.type) || size === undefined) {
			throw new Damaged(`${what} has an unexpected field type ${entry.type}`);
		}
		if (entry.count > MAX_BLOCKS) throw new Damaged(`${what} has ${entry.count} values`);
		const bytes = size * entry.count;
		const inlineSize = this.big ? 8 : 4;
		const data =
			bytes <= inlineSize
				? entry.inline
				: await this.read(
						this.big ? this.u64(entry.inline, 0) : this.u32(entry.inline, 0),
						bytes,
						what,
					);
		const out: number[] = new Array(entry.count);
		for (let i = 0; i < entry.count; i++) {
			const o = i * size;
			out[i] = size === 2 ? this.u16(data, o) : size === 4 ? this.u32(data, o) : this.u64(data, o);
		}
		return out;
	}
}

async function readHeader(r: TiffReader): Promise<number | string> {
	if (r.size === 0) return 'the file is empty';
	if (r.size < 8) return 'unknown file signature';
	const head = await r.read(0, Math.min(16, r.size), 'the header');
	const order = head.toString('latin1', 0, 2);
	if (order !== 'II' && order !== 'MM') return 'unknown file signature';
	r.little = order === 'II';
	const magic = r.u16(head, 2);
	if (magic === 42) return r.u32(head, 4);
	if (magic === 43) {
		if (head.length < 16 || r.u16(head, 4) !== 8 || r.u16(head, 6) !== 0) {
			throw new Damaged('the BigTIFF header is invalid');
		}
		r.big = true;
		return r.u64(head, 8);
	}
	return 'unknown file signature';
}

async function readDirectory(
	r: TiffReader,
	offset: number,
	n: number,
): Promise<{ entries: Map<number, Entry>; next: number }> {
	const what = `the directory of image ${n}`;
	const countSize = r.big ? 8 : 2;
	const entrySize = r.big ? 20 : 12;
	const countBuf = await r.read(offset, countSize, what);
	const count = r.big ? r.u64(countBuf, 0) : r.u16(countBuf, 0);
	if (count === 0 || count > 4096) throw new Damaged(`${what} has ${count} entries`);
	const body = await r.read(offset + countSize, count * entrySize + (r.big ? 8 : 4), what);
	const entries = new Map<number, Entry>();
	for (let i = 0; i < count; i++) {
		const o = i * entrySize;
		const tag = r.u16(body, o);
		const type = r.u16(body, o + 2);
		const cnt = r.big ? r.u64(body, o + 4) : r.u32(body, o + 4);
		const inline = body.subarray(o + (r.big ? 12 : 8), o + entrySize);
		entries.set(tag, { type, count: cnt, inline });
	}
	const nextAt = count * entrySize;
	const next = r.big ? r.u64(body, nextAt) : r.u32(body, nextAt);
	return { entries, next };
}

async function checkImage(
	r: TiffReader,
	entries: Map<number, Entry>,
	n: number,
	jpegBudget: { left: number },
): Promise<{ width: number; height: number }> {
	const image = `image ${n}`;
	const single = async (tag: number, name: string): Promise<number | undefined> => {
		const e = entries.get(tag);
		if (!e) return undefined;
		if (e.count < 1) throw new Damaged(`${name} of ${image} has no value`);
		return (await r.values({ ...e, count: 1 }, `${name} of ${image}`))[0];
	};
	const width = await single(TAG.ImageWidth, 'ImageWidth');
	const height = await single(TAG.ImageLength, 'ImageLength');
	if (width === undefined) throw new Damaged(`${image} has no ImageWidth`);
	if (height === undefined) throw new Damaged(`${image} has no ImageLength`);
	if (width <= 0 || height <= 0) throw new Damaged(`${image} is ${width}×${height} pixels`);
	const compression = (await single(TAG.Compression, 'Compression')) ?? 1;

	const tiled = entries.has(TAG.TileOffsets);
	const kind = tiled ? 'tile' : 'strip';
	const offEntry = entries.get(tiled ? TAG.TileOffsets : TAG.StripOffsets);
	const cntEntry = entries.get(tiled ? TAG.TileByteCounts : TAG.StripByteCounts);
	const offName = tiled ? 'TileOffsets' : 'StripOffsets';
	const cntName = tiled ? 'TileByteCounts' : 'StripByteCounts';
	if (!offEntry) throw new Damaged(`${image} has no ${offName}`);
	if (!cntEntry) throw new Damaged(`${image} has no ${cntName}`);
	const offsets = await r.values(offEntry, `${offName} of ${image}`);
	const counts = await r.values(cntEntry, `${cntName} of ${image}`);
	if (offsets.length === 0) throw new Damaged(`${image} has no ${kind}s`);
	if (offsets.length !== counts.length) {
		throw new Damaged(
			`${image} has ${offsets.length} ${offName} but ${counts.length} ${cntName} values`,
		);
	}
	for (let i = 0; i < offsets.length; i++) {
		// A sparse block (offset and count 0) is allowed, as GDAL writes them.
		if (counts[i] === 0) continue;
		const end = offsets[i] + counts[i];
		if (end > r.size) {
			throw new Damaged(
				`${kind} ${i + 1} of ${image} ends at byte ${end}, past the end of the file (${r.size} bytes)`,
			);
		}
	}
	if (compression === 7) {
		for (let i = 0; i < offsets.length && jpegBudget.left > 0; i++) {
			if (counts[i] === 0) continue;
			jpegBudget.left--;
			const soi = await r.read(offsets[i], 2, `${kind} ${i + 1} of ${image}`);
			if (soi[0] !== 0xff || soi[1] !== 0xd8) {
				throw new Damaged(
					`${kind} ${i + 1} of ${image} is JPEG-compressed but does not start with a JPEG marker`,
				);
			}
		}
	}
	return { width, height };
}

/**
 * Checks the raster stored at `path`; `name` is how the message names the file (its fileId).
 * Messages: "File 'x' is not a GeoTIFF raster: ..." or "File 'x' is damaged: ...".
 */
export async function checkRaster(path: string, name: string): Promise<RasterCheck> {
	let fh: FileHandle;
	try {
		fh = await open(path, 'r');
	} catch (error) {
		return { ok: false, message: `File '${name}' cannot be read: ${(error as Error).message}` };
	}
	try {
		const r = new TiffReader(fh, (await fh.stat()).size);
		const first = await readHeader(r);
		if (typeof first === 'string') {
			return { ok: false, message: `File '${name}' is not a GeoTIFF raster: ${first}` };
		}
		if (first === 0) throw new Damaged('the file has no image directory');
		const seen = new Set<number>();
		const jpegBudget = { left: MAX_JPEG_CHECKS };
		let offset = first;
		let n = 0;
		let base: { width: number; height: number } | undefined;
		while (offset !== 0) {
			n++;
			if (seen.has(offset)) throw new Damaged(`the directory of image ${n} loops back`);
			if (n > MAX_IMAGES) throw new Damaged(`more than ${MAX_IMAGES} images`);
			seen.add(offset);
			const dir = await readDirectory(r, offset, n);
			const dims = await checkImage(r, dir.entries, n, jpegBudget);
			base ??= dims;
			offset = dir.next;
		}
		if (!base) throw new Damaged('the file has no image directory');
		return {
			ok: true,
			width: base.width,
			height: base.height,
			images: n,
			tiles: pyramidTiles(base.width, base.height),
		};
	} catch (error) {
		if (error instanceof Damaged) {
			return { ok: false, message: `File '${name}' is damaged: ${error.message}` };
		}
		return { ok: false, message: `File '${name}' cannot be read: ${(error as Error).message}` };
	} finally {
		await fh.close();
	}
}
