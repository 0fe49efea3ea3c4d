/**
 * The polls of EverGIS Tiling Triggers under way in this n8n process, by workflow and trigger node,
 * each with the moment it must be over by. A poll that finds another poll of its trigger under way
 * asks nothing and fires nothing (poll.ts).
 *
 * Why it exists, and why process-wide: n8n starts a poll at every tick of a trigger's schedule
 * whether the last poll has ended or not (n8n-core 2.40 scheduled-task-manager.js `register` calls
 * its onTick, which active-workflow-triggers.js `activatePollTrigger` makes `void
 * executePollTrigger()`, and poll-trigger-executor.js has no guard; 1.x: active-workflows.js
 * `activatePolling` → scheduled-task-manager.js `registerCron`), and several Poll Times can tick
 * close together. n8n 2.40's durable scheduler gives the polls of one trigger no lock either: it
 * fires each claimed task on its own timer (@n8n/scheduler executor.js `scheduleClaimed`), and it
 * stops waiting for a poll at N8N_SCHEDULER_POLL_TIMEOUT while that poll goes on
 * (poll-trigger-task-handler.js `execute`). Two polls that overlap each read the ended tasks at
 * their start, and both would fire a task that ended meanwhile. Nothing of n8n's is shared by all
 * polls of one trigger: the poll context is one per activation only in the in-memory engine, and
 * under the durable scheduler each poll has a context, and static data, of its own. What they do
 * share is the process: the in-memory engine polls on the leader main only (scheduled-task-manager.js
 * `register`), the durable scheduler on the main that claimed the poll's task (with several mains,
 * two of them may each run a poll of one trigger: this map does not see across processes).
 *
 * How long an entry lives: from its poll's start to its end (the poll's `finally`), which the
 * poll's budget bounds (45 s at most). Should a poll ever outlive its budget by a minute, its entry
 * no longer counts, so that a trigger is never silenced for good.
 */
const pollsUnderWay = new Map<string, { until: number }>();

/** How long past its budget a poll's entry still counts (see above). */
const GRACE_MS = 60_000;

/**
 * Marks a poll of `trigger` (workflow and node) as under way until `until` (Date.now() ms), and
 * returns what marks its end; undefined when another poll of the trigger is under way.
 */
export function startPoll(trigger: string, until: number): (() => void) | undefined {
	const other = pollsUnderWay.get(trigger);
	if (other !== undefined && other.until + GRACE_MS > Date.now()) return undefined;
	const own = { until };
	pollsUnderWay.set(trigger, own);
	return () => {
		if (pollsUnderWay.get(trigger) === own) pollsUnderWay.delete(trigger);
	};
}
