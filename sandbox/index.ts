// The local EverGIS sandbox: a real HTTP server implementing the documented EverGIS API subset
// that the nodes use (login, upload, tiling tasks, catalogs), with knobs for latency, token
// lifetime, task timing and faults. Development tool only: not in the npm package.

export { startSandbox } from './server';
export { pyramidTiles, checkRaster, type RasterCheck } from './tiff';
export { CANCEL_MESSAGE, TIMEOUT_MESSAGE } from './tasks';
export { DEFAULT_USERS, OptionError } from './options';
export { DIALECTS, FAULT_KINDS, ROUTE_NAMES, FINISH_STATUSES } from './types';
export type {
	AttributeDefinition,
	Dialect,
	CatalogRecord,
	FaultKind,
	FaultRule,
	FinishStatus,
	RasterRecord,
	ResolvedOptions,
	RouteName,
	Sandbox,
	SandboxOptions,
	SandboxStats,
	SandboxUser,
	StatsRouteName,
	StepResult,
	TaskRecord,
	TaskResult,
	TaskStatus,
	UploadRecord,
} from './types';
