/**
 * Drives a real n8n (2.40.7 by default, or another release; installed by scripts/real-n8n/install.sh,
 * run on Node 24 for 2.x and the system Node 20 for 1.x) with community
 * packages loaded from their tarballs. See scripts/real-n8n/README.md.
 */
export {
	ensureN8nInstalled,
	repoRoot,
	N8N_VERSION,
	NODE_VERSION,
	type N8nInstall,
} from './install';
export { packPackage, packDirectory } from './pack';
export {
	createUserFolder,
	installTarballs,
	TEST_ENCRYPTION_KEY,
	type UserFolder,
	type UserFolderOptions,
	type PostgresConnection,
	type RedisConnection,
	type N8nLogLevel,
} from './user-folder';
export {
	runN8n,
	importWorkflow,
	importCredentials,
	publishWorkflow,
	executeWorkflow,
	exportNodeTypes,
	nodeItems,
	newN8nId,
	type WorkflowJson,
	type CredentialJson,
	type ExecuteResult,
	type ExecutionRun,
	type NodeRun,
	type CommandResult,
	type RunN8nOptions,
} from './cli';
export { startN8n, waitForWebhook, sleep, type N8nProcess, type StartN8nOptions } from './server';
export {
	listExecutions,
	waitForExecutions,
	workflowRows,
	type ExecutionRecord,
	type ListExecutionsOptions,
	type TriggerTable,
} from './executions';
export {
	ensureQueueServices,
	installDebianServers,
	startPostgres,
	startRedis,
	startQueueServices,
	type PostgresServer,
	type RedisServer,
	type QueueServices,
} from './queue';
export {
	stopAll,
	spawnProcess,
	runProcess,
	runningProcesses,
	type SpawnedProcess,
} from './processes';
export {
	startFtpServer,
	startS3Server,
	ensureVsftpd,
	type FileSource,
	type FtpServer,
	type S3Server,
} from './sources';
export { freePort, freePorts, freePortRange } from './ports';
export { logStep, timingSummary } from './timing';
