import { CATALOG_LAYER_TYPE, type CatalogStore } from './catalogs';
import { isPlainObject } from './http-util';
import type { FileStorage, StorageScope, StoredFile } from './storage';
import type { AttributeDefinition } from './types';

// Validation of a tiling task body (POST /scheduler/tasks?type=tiling). Each error names the
// field at fault, so that a client's tests can tell the causes apart.

export const TILING_TARGET_TYPE = 'tileFeatureLayerTaskDataStorage';

export interface TilingPlan {
	serviceName: string;
	files: StoredFile[];
	attributes: Record<string, unknown>;
	/** Set when the task must create the catalog (createNewService with a new name). */
	newCatalog?: Record<string, AttributeDefinition>;
}

export type TilingValidation =
	{ ok: true; plan: TilingPlan } | { ok: false; status: number; message: string };

function fail(message: string, status = 400): TilingValidation {
	return { ok: false, status, message };
}

function show(value: unknown): string {
	const text = JSON.stringify(value);
	return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const ISO_8601 =
	/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:[T ]([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?(?:Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Whether a value fits an attribute type; null fits every type. */
function fitsType(type: string, value: unknown): { ok: boolean; expected: string } {
	if (value === null) return { ok: true, expected: '' };
	switch (type) {
		case 'String':
			return { ok: typeof value === 'string', expected: 'a string' };
		case 'DateTime':
			return {
				ok:
					typeof value === 'string' &&
					ISO_8601.test(value) &&
					!Number.isNaN(Date.parse(value.replace(' ', 'T').replace(',', '.'))),
				expected: 'an ISO 8601 date-time string',
			};
		case 'Int32':
			return {
				ok:
					Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31,
				expected: 'a 32-bit integer number',
			};
		case 'Int64':
			return { ok: Number.isInteger(value), expected: 'an integer number' };
		case 'Double':
			return {
				ok: typeof value === 'number' && Number.isFinite(value),
				expected: 'a number',
			};
		case 'Boolean':
			return { ok: typeof value === 'boolean', expected: 'true or false' };
		default:
			// Types the sandbox does not model take any value.
			return { ok: true, expected: '' };
	}
}

function newCatalogAttributes(
	config: unknown,
): { ok: true; attributes: Record<string, AttributeDefinition> } | { ok: false; message: string } {
	const attributes: Record<string, AttributeDefinition> = {};
	if (config === undefined || config === null) return { ok: true, attributes };
	const field = 'target.attributesConfiguration';
	if (!isPlainObject(config)) return { ok: false, message: `'${field}' must be an object` };
	const list = config.attributes;
	if (list === undefined || list === null) return { ok: true, attributes };
	if (!Array.isArray(list)) return { ok: false, message: `'${field}.attributes' must be a list` };
	for (let i = 0; i < list.length; i++) {
		const item: unknown = list[i];
		const at = `${field}.attributes[${i}]`;
		if (!isPlainObject(item)) return { ok: false, message: `'${at}' must be an object` };
		if (typeof item.attributeName !== 'string' || item.attributeName.trim() === '') {
			return { ok: false, message: `'${at}.attributeName' is required (a non-empty string)` };
		}
		if (item.type !== undefined && item.type !== null && typeof item.type !== 'string') {
			return { ok: false, message: `'${at}.type' must be a string such as String or DateTime` };
		}
		attributes[item.attributeName] = {
			type: typeof item.type === 'string' ? item.type : 'String',
			alias: typeof item.alias === 'string' ? item.alias : null,
		};
	}
	return { ok: true, attributes };
}

export function validateTiling(
	body: unknown,
	scope: StorageScope,
	storage: FileStorage,
	catalogs: CatalogStore,
): TilingValidation {
	if (!isPlainObject(body)) return fail('The tiling task body must be a JSON object');

	const target = body.target;
	if (target === undefined || target === null) return fail("'target' is required");
	if (!isPlainObject(target)) return fail("'target' must be an object");
	if (target.type !== TILING_TARGET_TYPE) {
		return fail(
			target.type === undefined
				? `'target.type' is required ('${TILING_TARGET_TYPE}')`
				: `'target.type' must be '${TILING_TARGET_TYPE}', got ${show(target.type)}`,
		);
	}
	if (target.serviceName === undefined || target.serviceName === null) {
		return fail("'target.serviceName' is required (the raster catalog's name)");
	}
	if (typeof target.serviceName !== 'string') return fail("'target.serviceName' must be a string");
	const serviceName = target.serviceName.trim();
	if (serviceName === '') return fail("'target.serviceName' must not be empty");
	const create = target.createNewService;
	if (create !== undefined && create !== null && typeof create !== 'boolean') {
		return fail("'target.createNewService' must be true or false");
	}

	const files = body.files;
	if (files === undefined || files === null) {
		return fail("'files' is required: a list of file names in the temporary storage");
	}
	if (!Array.isArray(files)) return fail("'files' must be a list of file names");
	if (files.length === 0) return fail("'files' must not be empty");
	for (let i = 0; i < files.length; i++) {
		if (typeof files[i] !== 'string' || files[i] === '') {
			return fail(`'files[${i}]' must be a non-empty string, got ${show(files[i])}`);
		}
	}

	const attributes = body.attributes ?? {};
	if (!isPlainObject(attributes)) {
		return fail("'attributes' must be an object (attribute name → value)");
	}
	const zoom = body.maxZoomLevel;
	if (zoom !== undefined && !(Number.isInteger(zoom) && (zoom as number) >= 0)) {
		return fail(`'maxZoomLevel' must be a non-negative integer, got ${show(zoom)}`);
	}
	for (const flag of ['polygonize', 'useCog'] as const) {
		if (body[flag] !== undefined && typeof body[flag] !== 'boolean') {
			return fail(`'${flag}' must be true or false, got ${show(body[flag])}`);
		}
	}

	const stored: StoredFile[] = [];
	for (let i = 0; i < files.length; i++) {
		const name = files[i] as string;
		const file = storage.find(scope, name);
		if (!file) {
			return fail(
				`File '${name}' (files[${i}]) is not in the temporary storage of user '${scope.owner}'` +
					(scope.tiedToSession ? ' for this login session' : '') +
					': upload it first',
			);
		}
		stored.push(file);
	}

	const user = scope.owner;
	const existing = catalogs.get(serviceName);
	let catalogAttributes: Record<string, AttributeDefinition>;
	let newCatalog: Record<string, AttributeDefinition> | undefined;
	if (existing) {
		if (!catalogs.canWrite(existing, user)) {
			return fail(
				`Raster catalog '${serviceName}' (target.serviceName) belongs to user '${existing.owner}': no write permission`,
				403,
			);
		}
		if (existing.type !== CATALOG_LAYER_TYPE) {
			return fail(
				`'${serviceName}' (target.serviceName) is a ${existing.type} layer, not a raster catalog (${CATALOG_LAYER_TYPE})`,
			);
		}
		// Guess: createNewService true with a catalog that already exists loads into that catalog
		// (the docs do not say whether the server refuses, replaces or reuses it).
		catalogAttributes = existing.attributes;
	} else {
		if (create !== true) {
			return fail(
				`Raster catalog '${serviceName}' (target.serviceName) does not exist; ` +
					'set target.createNewService to true to create it',
			);
		}
		const dot = serviceName.indexOf('.');
		if (dot <= 0 || dot === serviceName.length - 1) {
			return fail(
				`'target.serviceName' must be '<user>.<name>' to create a catalog, got '${serviceName}'`,
			);
		}
		if (serviceName.slice(0, dot) !== user) {
			return fail(
				`Cannot create '${serviceName}' (target.serviceName): namespace '${serviceName.slice(0, dot)}' is not yours`,
				403,
			);
		}
		const made = newCatalogAttributes(target.attributesConfiguration);
		if (!made.ok) return fail(made.message);
		catalogAttributes = made.attributes;
		newCatalog = made.attributes;
	}

	for (const [name, value] of Object.entries(attributes)) {
		const def = catalogAttributes[name];
		if (!def) {
			const has = Object.keys(catalogAttributes);
			return fail(
				`Attribute '${name}' (attributes.${name}) does not exist in raster catalog '${serviceName}'; ` +
					`it has: ${has.length > 0 ? has.join(', ') : '(no attributes)'}`,
			);
		}
		const fit = fitsType(def.type, value);
		if (!fit.ok) {
			return fail(
				`Attribute '${name}' (attributes.${name}) is ${def.type}: expected ${fit.expected}, got ${show(value)}`,
			);
		}
	}

	return { ok: true, plan: { serviceName, files: stored, attributes, newCatalog } };
}
