/**
 * The name a file gets in EverGIS's temporary storage. Uploads use rewrite=true (as the docs do),
 * so two items that both carry `image.tif` would overwrite each other: by default every upload
 * gets its own name, `<stem>_<12 random hex digits><extension>`. Keeping the original name is the
 * user's choice. Path separators and control characters never reach the server.
 */
export function safeFileName(name: string): string {
	const base = name.split(/[\\/]/).pop() ?? '';
	const printable = [...base]
		.filter((char) => char.charCodeAt(0) > 0x1f && char.charCodeAt(0) !== 0x7f)
		.join('');
	const cleaned = printable.trim().replace(/\s+/g, '_');
	return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned;
}

export function uniqueUploadName(name: string, randomHex: string): string {
	const safe = safeFileName(name);
	const dot = safe.lastIndexOf('.');
	const stem = dot > 0 ? safe.slice(0, dot) : safe;
	const extension = dot > 0 ? safe.slice(dot) : '';
	return `${stem}_${randomHex}${extension}`;
}
