import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Writes a valid little-endian TIFF of exactly `totalBytes` bytes, streamed in 1 MiB chunks (never
 * held in memory): the 8-byte header, one big uncompressed 8-bit grey strip, the one image file
 * directory after it, then zero padding up to the size. The pixels are a repeated block of random
 * bytes, so the file is dense (no sparse holes that would read faster than real data).
 */
export async function writeBigTiff(path: string, totalBytes: number): Promise<TiffLayout> {
	const layout = tiffLayout(totalBytes);
	const out = createWriteStream(path);
	const write = async (chunk: Buffer): Promise<void> => {
		if (!out.write(chunk)) await once(out, 'drain');
	};
	const header = Buffer.alloc(8);
	header.write('II', 0, 'latin1');
	header.writeUInt16LE(42, 2);
	header.writeUInt32LE(layout.ifdOffset, 4);
	await write(header);

	const block = randomBytes(1 << 20);
	for (let left = layout.stripBytes; left > 0; left -= block.length) {
		await write(left >= block.length ? block : block.subarray(0, left));
	}
	await write(directory(layout));
	const padding = totalBytes - layout.ifdOffset - DIRECTORY_BYTES;
	const zeros = Buffer.alloc(Math.min(padding, 1 << 20));
	for (let left = padding; left > 0; left -= zeros.length) {
		await write(left >= zeros.length ? zeros : zeros.subarray(0, left));
	}
	out.end();
	await once(out, 'close');
	return layout;
}

export interface TiffLayout {
	width: number;
	height: number;
	stripOffset: number;
	stripBytes: number;
	ifdOffset: number;
}

const ENTRIES = 8;
const DIRECTORY_BYTES = 2 + ENTRIES * 12 + 4;
const WIDTH = 32_768;

/** The widest strip of 32768-pixel rows that, with header and directory, fits in `totalBytes`. */
export function tiffLayout(totalBytes: number): TiffLayout {
	const height = Math.floor((totalBytes - 8 - DIRECTORY_BYTES) / WIDTH);
	if (height < 1) throw new Error(`${totalBytes} bytes is too small for the benchmark raster`);
	const stripBytes = WIDTH * height;
	return { width: WIDTH, height, stripOffset: 8, stripBytes, ifdOffset: 8 + stripBytes };
}

function directory(layout: TiffLayout): Buffer {
	const SHORT = 3;
	const LONG = 4;
	// Tag, type, value (count 1 each), in ascending tag order as TIFF 6.0 requires.
	const entries: Array<[number, number, number]> = [
		[256, LONG, layout.width], // ImageWidth
		[257, LONG, layout.height], // ImageLength
		[258, SHORT, 8], // BitsPerSample
		[259, SHORT, 1], // Compression: none
		[262, SHORT, 1], // PhotometricInterpretation: BlackIsZero
		[273, LONG, layout.stripOffset], // StripOffsets
		[278, LONG, layout.height], // RowsPerStrip: one strip
		[279, LONG, layout.stripBytes], // StripByteCounts
	];
	const buf = Buffer.alloc(DIRECTORY_BYTES);
	buf.writeUInt16LE(entries.length, 0);
	entries.forEach(([tag, type, value], i) => {
		const o = 2 + i * 12;
		buf.writeUInt16LE(tag, o);
		buf.writeUInt16LE(type, o + 2);
		buf.writeUInt32LE(1, o + 4);
		if (type === SHORT) buf.writeUInt16LE(value, o + 8);
		else buf.writeUInt32LE(value, o + 8);
	});
	buf.writeUInt32LE(0, 2 + entries.length * 12); // no next directory
	return buf;
}
