import type { AttributeDefinition, CatalogRecord, RasterRecord } from './types';

// Layers the sandbox knows: per user two raster catalogs and one vector layer (seed), plus the
// catalogs that tiling tasks create. Serves /layers, /layers/{name} and /tables.

export const CATALOG_LAYER_TYPE = 'PostgresTileCatalogService';
export const VECTOR_LAYER_TYPE = 'PostgresLayerService';

/** The names layers are listed under: the docs' (default), or the spec's LayerServiceType enum. */
export type LayerTypeNames = 'docs' | 'spec';

/** The spec's LayerServiceType (spec.json): a `types` filter must name these when `spec`. */
const SPEC_LAYER_TYPES = [
	'QueryLayerService',
	'LinearLayerService',
	'MapboxLayerService',
	'PostgresTileLayerService',
	'ProxyLayerService',
	'PythonLayerService',
	'RemoteTileLayerService',
	'RouteLayerService',
];

const SPEC_NAMES: Record<string, string> = {
	[CATALOG_LAYER_TYPE]: 'PostgresTileLayerService',
	[VECTOR_LAYER_TYPE]: 'QueryLayerService',
};

function typeName(type: string, naming: LayerTypeNames): string {
	return naming === 'spec' ? SPEC_NAMES[type] : type;
}

interface LayerEntry {
	name: string;
	alias: string;
	description: string;
	owner: string;
	type: typeof CATALOG_LAYER_TYPE | typeof VECTOR_LAYER_TYPE;
	isPublic: boolean;
	/** Other users it is shared with (through a role), and their permissions, e.g. 'read,write'. */
	sharedWith: Record<string, string>;
	createdDate: string;
	changedDate: string;
	geometryType: string;
	attributes: Record<string, AttributeDefinition>;
	rasters: RasterRecord[];
	/** Vector layers: a fixed object count. */
	objectCount: number;
}

export interface ListQuery {
	types?: string;
	group?: string;
	filter?: string;
	offset?: string;
	limit?: string;
	names?: string;
	orderByField?: string;
}

export class QueryError extends Error {}

const SEED_DATE = '2024-01-15T09:00:00.000Z';

function seedFor(user: string): LayerEntry[] {
	return [
		{
			name: `${user}.landsat_images`,
			alias: 'Снимки Landsat',
			description: 'Landsat scenes (sandbox seed)',
			owner: user,
			type: CATALOG_LAYER_TYPE,
			isPublic: false,
			sharedWith: {},
			createdDate: SEED_DATE,
			changedDate: SEED_DATE,
			geometryType: 'polygon',
			attributes: {
				name: { type: 'String', alias: 'Название' },
				dateofimage: { type: 'DateTime', alias: 'Дата съёмки' },
			},
			rasters: [],
			objectCount: 0,
		},
		{
			name: `${user}.drone_orthophotos`,
			alias: 'Drone orthophotos',
			description: 'Orthophotos from drone flights (sandbox seed)',
			owner: user,
			type: CATALOG_LAYER_TYPE,
			isPublic: false,
			sharedWith: {},
			createdDate: SEED_DATE,
			changedDate: SEED_DATE,
			geometryType: 'polygon',
			attributes: {
				name: { type: 'String', alias: 'Name' },
				flight_date: { type: 'DateTime', alias: 'Flight date' },
				altitude_m: { type: 'Double', alias: 'Altitude, m' },
				operator: { type: 'String', alias: 'Operator' },
			},
			rasters: [],
			objectCount: 0,
		},
		{
			name: `${user}.roads`,
			alias: 'Roads',
			description: 'Road network (sandbox seed, a vector layer)',
			owner: user,
			type: VECTOR_LAYER_TYPE,
			isPublic: true,
			sharedWith: {},
			createdDate: SEED_DATE,
			changedDate: SEED_DATE,
			geometryType: 'polyline',
			attributes: {
				name: { type: 'String', alias: 'Name' },
				lanes: { type: 'Int32', alias: 'Lanes' },
			},
			rasters: [],
			objectCount: 1287,
		},
	];
}

function toInt(name: string, raw: string | undefined, fallback: number): number {
	if (raw === undefined || raw === '') return fallback;
	if (!/^\d+$/.test(raw)) throw new QueryError(`Query parameter '${name}' must be an integer ≥ 0`);
	return Number(raw);
}

function matchesFilter(layer: { name: string; alias: string }, filter: string): boolean {
	if (filter === '') return true;
	const prefix = filter.startsWith('^');
	const text = (prefix || filter.startsWith('@') ? filter.slice(1) : filter).toLowerCase();
	const shortName = layer.name.slice(layer.name.indexOf('.') + 1);
	const fields = [layer.name, shortName, layer.alias].map((f) => f.toLowerCase());
	// Guess: a prefix also matches the name without its "user." namespace.
	return fields.some((f) => (prefix ? f.startsWith(text) : f.includes(text)));
}

export class CatalogStore {
	private readonly layers = new Map<string, LayerEntry>();
	private readonly seeded = new Set<string>();

	seedUser(user: string): void {
		if (this.seeded.has(user)) return;
		this.seeded.add(user);
		for (const layer of seedFor(user)) {
			if (!this.layers.has(layer.name)) this.layers.set(layer.name, layer);
		}
	}

	get(name: string): LayerEntry | undefined {
		return this.layers.get(name);
	}

	canRead(layer: LayerEntry, user: string): boolean {
		return layer.owner === user || layer.isPublic || this.sharedWith(layer, user) !== undefined;
	}

	/** Whether the user may load rasters into the layer: its owner, or shared with `write`. */
	canWrite(layer: LayerEntry, user: string): boolean {
		return layer.owner === user || /\bwrite\b/.test(this.sharedWith(layer, user) ?? '');
	}

	private sharedWith(layer: LayerEntry, user: string): string | undefined {
		return Object.prototype.hasOwnProperty.call(layer.sharedWith, user)
			? layer.sharedWith[user]
			: undefined;
	}

	share(name: string, user: string, permissions: string): void {
		const layer = this.layers.get(name);
		if (!layer) throw new Error(`No layer '${name}' to share`);
		layer.sharedWith[user] = permissions;
	}

	record(name: string): CatalogRecord | undefined {
		const l = this.layers.get(name);
		if (!l) return undefined;
		return {
			name: l.name,
			alias: l.alias,
			owner: l.owner,
			attributes: structuredClone(l.attributes),
			rasters: structuredClone(l.rasters),
		};
	}

	createCatalog(
		name: string,
		owner: string,
		attributes: Record<string, AttributeDefinition>,
	): LayerEntry {
		const now = new Date().toISOString();
		const entry: LayerEntry = {
			name,
			alias: name.slice(name.indexOf('.') + 1),
			description: '',
			owner,
			type: CATALOG_LAYER_TYPE,
			isPublic: false,
			sharedWith: {},
			createdDate: now,
			changedDate: now,
			geometryType: 'polygon',
			attributes,
			rasters: [],
			objectCount: 0,
		};
		this.layers.set(name, entry);
		return entry;
	}

	addRasters(name: string, rasters: RasterRecord[]): void {
		const l = this.layers.get(name);
		if (!l) return;
		l.rasters.push(...rasters);
		l.changedDate = new Date().toISOString();
	}

	private count(l: LayerEntry): number {
		return l.type === CATALOG_LAYER_TYPE ? l.rasters.length : l.objectCount;
	}

	private select(
		query: ListQuery,
		user: string,
		naming: LayerTypeNames = 'docs',
	): { items: LayerEntry[]; offset: number; limit: number; total: number } {
		const offset = toInt('offset', query.offset, 0);
		const limit = toInt('limit', query.limit, 20);
		const group = (query.group || 'my').toLowerCase();
		if (!['my', 'public', 'role', 'all'].includes(group)) {
			throw new QueryError(
				`Query parameter 'group' must be my, role, public or all, got '${query.group}'`,
			);
		}
		const types = (query.types ?? '')
			.split(',')
			.map((t) => t.trim().toLowerCase())
			.filter(Boolean);
		const unknownType = types.find(
			(t) => !SPEC_LAYER_TYPES.some((name) => name.toLowerCase() === t),
		);
		if (naming === 'spec' && unknownType !== undefined) {
			throw new QueryError(`The value '${unknownType}' is not valid for types.`);
		}
		const names = (query.names ?? '')
			.split(',')
			.map((t) => t.trim())
			.filter(Boolean);
		let items = [...this.layers.values()].filter((l) => {
			const mine = l.owner === user;
			const reachable = l.isPublic || this.sharedWith(l, user) !== undefined;
			if (group === 'my' && !mine) return false;
			if (group === 'public' && !l.isPublic) return false;
			if (group === 'role' && (mine || !reachable)) return false;
			if (group === 'all' && !mine && !reachable) return false;
			if (types.length > 0 && !types.includes(typeName(l.type, naming).toLowerCase())) {
				return false;
			}
			if (names.length > 0 && !names.includes(l.name)) return false;
			return matchesFilter(l, query.filter ?? '');
		});
		for (const field of (query.orderByField ?? '').split(',').reverse()) {
			const f = field.trim();
			if (!f) continue;
			const desc = f.startsWith('-');
			const key = desc ? f.slice(1) : f;
			if (!['alias', 'changedDate', 'name', 'createdDate'].includes(key)) {
				throw new QueryError(`Query parameter 'orderByField' cannot sort by '${key}'`);
			}
			const k = key as 'alias' | 'changedDate' | 'name' | 'createdDate';
			items = [...items].sort((a, b) => (desc ? -1 : 1) * a[k].localeCompare(b[k]));
		}
		return { items: items.slice(offset, offset + limit), offset, limit, total: items.length };
	}

	private permissions(l: LayerEntry, user: string): string {
		return l.owner === user ? 'read,write,configure' : (this.sharedWith(l, user) ?? 'read');
	}

	private layerItem(
		l: LayerEntry,
		user: string,
		naming: LayerTypeNames = 'docs',
	): Record<string, unknown> {
		return {
			name: l.name,
			type: typeName(l.type, naming),
			alias: l.alias,
			description: l.description,
			owner: l.owner,
			ownerName: null,
			createdDate: l.createdDate,
			changedDate: l.changedDate,
			permissions: this.permissions(l, user),
			preview: null,
			minResolution: 0,
			maxResolution: 0,
			condition: null,
			geometryType: l.geometryType,
			objectCount: this.count(l),
			dataSourceType: 'Table',
			tags: null,
			envelope: null,
			invisibleInCatalog: false,
		};
	}

	listLayers(query: ListQuery, user: string, naming: LayerTypeNames): Record<string, unknown> {
		const { items, offset, limit, total } = this.select(query, user, naming);
		return {
			items: items.map((l) => this.layerItem(l, user, naming)),
			totalCount: total,
			offset,
			limit,
		};
	}

	listTables(query: ListQuery, user: string): Record<string, unknown> {
		const { items, offset, limit, total } = this.select({ ...query, types: undefined }, user);
		return {
			items: items.map((l) => ({
				rowCount: this.count(l),
				geometries: [l.geometryType],
				type: l.type === CATALOG_LAYER_TYPE ? 'TileCatalogTable' : 'Table',
				configuration: null,
				name: l.name,
				alias: l.alias,
				owner: l.owner,
				description: l.description,
				preview: null,
				createdDate: l.createdDate,
				changedDate: l.changedDate,
				permissions: this.permissions(l, user),
				acl: {
					data: [
						{ role: `__${l.owner}`, permissions: 'read,write,configure' },
						...Object.entries(l.sharedWith).map(([role, permissions]) => ({
							role: `__${role}`,
							permissions,
						})),
						...(l.isPublic ? [{ role: '__public', permissions: 'read' }] : []),
					],
				},
				icon: null,
				invisibleInCatalog: false,
			})),
			totalCount: total,
			offset,
			limit,
		};
	}

	/** GET /layers/{name}: the old `layerDefinition` and the newer `configuration`, both. */
	definition(l: LayerEntry, user: string, naming: LayerTypeNames): Record<string, unknown> {
		const attrs = Object.entries(l.attributes);
		return {
			...this.layerItem(l, user, naming),
			layerDefinition: {
				idAttribute: 'gid',
				titleAttribute: attrs.length > 0 ? attrs[0][0] : null,
				geometryAttribute: 'geometry',
				geometryType: l.geometryType,
				spatialReference: 3857,
				isEditable: true,
				attributes: Object.fromEntries(
					attrs.map(([name, a]) => [
						name,
						{
							type: a.type,
							alias: a.alias ?? null,
							isNullable: true,
							isEditable: true,
							isDisplayed: true,
							subType: 'None',
							isUnique: false,
							isCalculated: false,
							stringFormat: null,
						},
					]),
				),
			},
			configuration: {
				attributesConfiguration: {
					idAttribute: 'gid',
					titleAttribute: attrs.length > 0 ? attrs[0][0] : null,
					geometryAttribute: 'geometry',
					tableName: l.name,
					attributes: attrs.map(([name, a]) => ({
						attributeName: name,
						columnName: name,
						alias: a.alias ?? null,
						type: a.type,
					})),
				},
			},
		};
	}
}
