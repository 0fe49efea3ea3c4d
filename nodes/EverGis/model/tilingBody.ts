import type { IDataObject } from 'n8n-workflow';
import { UserError } from 'n8n-workflow';

/**
 * The body of a tiling task (`POST /scheduler/tasks?type=tiling`), as tiling.md describes it.
 * This is the one place that knows its shape: the node's parameters come in, the JSON goes out.
 */
export interface TilingBody {
	target: {
		type: 'tileFeatureLayerTaskDataStorage';
		serviceName: string;
		createNewService: boolean;
		attributesConfiguration?: IDataObject;
	};
	files: string[];
	attributes?: IDataObject;
	maxZoomLevel?: number;
	polygonize: boolean;
	useCog: boolean;
}

export interface TilingInput {
	/** The catalog's system name, `user.catalog`. */
	serviceName: string;
	createNewService: boolean;
	/** JSON text or object describing a new catalog; only sent with createNewService. */
	attributesConfiguration?: unknown;
	/** Names of the files in EverGIS's temporary storage. */
	files: string[];
	/** Attribute values for every file of the task (already parsed: see parseAttributes). */
	attributes?: IDataObject;
	/**
	 * The number of levels of detail of the Cloud Optimized GeoTIFF (tiling.md). Empty (undefined,
	 * null or '') and 0 leave it out: no levels is no meaningful value, and 0 is the option's default
	 * in the editor, so adding the option without setting it must not send it.
	 */
	maxZoomLevel?: unknown;
	polygonize?: boolean;
	/** Converting to Cloud Optimized GeoTIFF is what the docs recommend: on unless turned off. */
	useCog?: boolean;
}

const CATALOG_NAME = /^[^\s.]+\.[^\s]+$/;

/** Builds the task body. Throws a UserError that says what is wrong and what to do. */
export function buildTilingBody(input: TilingInput): TilingBody {
	const serviceName = String(input.serviceName ?? '').trim();
	if (serviceName === '') {
		throw new UserError('No raster catalog is chosen', {
			description:
				"Pick a catalog from the list, or give its system name, e.g. 'demo.landsat_images'.",
		});
	}
	if (!CATALOG_NAME.test(serviceName)) {
		throw new UserError(`'${serviceName}' is not a catalog system name`, {
			description: `A catalog's system name is '<owner>.<name>', e.g. 'demo.landsat_images'. Pick the catalog from the list to be sure.`,
		});
	}
	const files = input.files.map((file) => String(file ?? '').trim());
	if (files.length === 0 || files.some((file) => file === '')) {
		throw new UserError('The tiling task has no files', {
			description:
				'Give at least one file: a binary property of the item, or the name of a file already in temporary storage.',
		});
	}
	const target: TilingBody['target'] = {
		type: 'tileFeatureLayerTaskDataStorage',
		serviceName,
		createNewService: input.createNewService === true,
	};
	if (input.createNewService) {
		const configuration = parseJsonObject(input.attributesConfiguration, 'Catalog Configuration');
		if (configuration) target.attributesConfiguration = configuration;
	}
	const hasAttributes = input.attributes !== undefined && Object.keys(input.attributes).length > 0;
	const zoom = parseMaxZoomLevel(input.maxZoomLevel);
	return {
		target,
		files,
		...(hasAttributes ? { attributes: input.attributes } : {}),
		...(zoom !== undefined ? { maxZoomLevel: zoom } : {}),
		polygonize: input.polygonize === true,
		useCog: input.useCog !== false,
	};
}

export function parseMaxZoomLevel(value: unknown): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const zoom = typeof value === 'number' ? value : Number(String(value).trim());
	if (!Number.isInteger(zoom) || zoom < 0 || zoom > 30) {
		throw new UserError(
			`Max Zoom Level must be a whole number from 1 to 30, or 0 to let EverGIS choose, not '${String(value)}'`,
			{
				description:
					'It is the number of levels of detail of the Cloud Optimized GeoTIFF. Leave it at 0 (or empty) to let EverGIS choose.',
			},
		);
	}
	return zoom === 0 ? undefined : zoom;
}

/**
 * Attribute values, from key–value pairs or a JSON object. Values keep their JSON types:
 * a number stays a number, a date string stays a string, null stays null.
 */
export function parseAttributes(
	mode: 'fields' | 'json',
	pairs: Array<{ name?: unknown; value?: unknown }> | undefined,
	json: unknown,
): IDataObject {
	if (mode === 'json') return parseJsonObject(json, 'Attributes (JSON)') ?? {};
	const attributes: IDataObject = {};
	for (const [index, pair] of (pairs ?? []).entries()) {
		const name = String(pair.name ?? '').trim();
		if (name === '') {
			throw new UserError(`Attribute ${index + 1} has no name`, {
				description: 'Choose the catalog attribute to set, or remove the empty row.',
			});
		}
		if (Object.prototype.hasOwnProperty.call(attributes, name)) {
			throw new UserError(`Attribute '${name}' is set twice`, {
				description: 'Keep one row per attribute.',
			});
		}
		attributes[name] = (pair.value ?? null) as IDataObject[string];
	}
	return attributes;
}

function parseJsonObject(value: unknown, field: string): IDataObject | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	let parsed: unknown = value;
	if (typeof value === 'string') {
		if (value.trim() === '') return undefined;
		const attempt = parseJson(value);
		if (!attempt.ok) {
			throw new UserError(`${field} is not valid JSON: ${attempt.reason}`, {
				description: `Write a JSON object, e.g. {"name": "Landsat-8", "dateofimage": "2023-12-08T12:00:00+00:00"}.`,
			});
		}
		parsed = attempt.value;
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw new UserError(
			`${field} must be a JSON object, not ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}`,
			{
				description: 'Write an object of attribute names and values in curly braces.',
			},
		);
	}
	return parsed as IDataObject;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
	try {
		return { ok: true, value: JSON.parse(text) };
	} catch (error) {
		return { ok: false, reason: (error as Error).message };
	}
}
