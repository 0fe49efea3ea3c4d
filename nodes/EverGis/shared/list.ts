/** A list the user typed (commas, spaces or new lines between entries) or an expression's array. */
export function splitList(value: unknown, separators: RegExp = /[,\n]/): string[] {
	const parts = Array.isArray(value) ? value : String(value ?? '').split(separators);
	return [...new Set(parts.map((part) => String(part ?? '').trim()).filter((part) => part !== ''))];
}
