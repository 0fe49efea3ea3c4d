/**
 * The words of an error as EverGIS (or a proxy) puts them, whatever its shape: a string, or an
 * object in one of the shapes seen or specified. No page of the docs shows an error body, nor what
 * a `batchErrors` element is (they only ever show `null`), so every shape is read:
 * - the spec's ErrorDetailsDc `{errorType, message, statusCode}` (its `errorType` when the message
 *   is empty);
 * - ASP.NET's problem details `{title, detail, status}` and validation answers
 *   `{title, errors: {field: [...]}}`;
 * - `{error: {message}}`, `{error: "..."}`, `{errorMessage}`.
 * Undefined when the value holds no words. Used for answers' bodies (transport/failure.ts) and a
 * task's batch errors (model/task.ts).
 */
export function errorText(value: unknown): string | undefined {
	if (typeof value === 'string') return value.trim() === '' ? undefined : value;
	if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
	const data = value as Record<string, unknown>;
	const nested =
		data.error && typeof data.error === 'object' ? (data.error as Record<string, unknown>) : {};
	let text = [
		data.message,
		data.detail,
		data.errorMessage,
		data.title,
		nested.message,
		data.error,
		data.errorType,
	].find((candidate) => typeof candidate === 'string' && candidate.trim() !== '') as
		string | undefined;
	// ASP.NET validation answers: a generic title, and per field what is wrong.
	if (data.errors && typeof data.errors === 'object' && !Array.isArray(data.errors)) {
		const fields = Object.entries(data.errors as Record<string, unknown>)
			.map(
				([field, problems]) =>
					`${field}: ${[problems]
						.flat()
						.filter((p) => typeof p === 'string')
						.join(', ')}`,
			)
			.join('; ');
		if (fields) text = text !== undefined ? `${text} ${fields}` : fields;
	}
	return text;
}
