import { isDeepStrictEqual } from 'node:util';

import type { IDataObject } from 'n8n-workflow';

import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import type { TriggerStatus } from './support';
import {
	ALL_TRIGGER_STATUSES,
	countProgress,
	endTask,
	newEngine,
	Poller,
	savedState,
	statusOf,
	TaskFactory,
	triggerWorkflow,
} from './support';

// A property-style run of the trigger: 100 polls through n8n's poll context against the sandbox,
// with tasks ending at random polls with random terminal statuses, random restarts (the static data
// round-tripped through JSON into a fresh engine), random changes to the watch list, unknown IDs,
// transient 5xx answers and manual runs in between. A model of what the trigger must do is kept
// alongside, and every poll is checked against it: what fired, what was saved, how many requests.
//
// The seed is printed; run one again with TRIGGER_SEED=<seed> npx jest test/trigger/property.
// Locally each run draws a new seed besides the fixed ones; in CI (CI set, as .ci/run does) only the
// fixed seeds run, so that a red CI is the same red on a rerun. A seed that once failed joins
// FIXED_SEEDS.
//
// Removing an ID from the watch list is final in this run: the trigger forgets removed IDs (the
// state stays bounded), so an ID added again is a new watch and fires again. trigger.test.ts pins
// that case on its own.

const POLLS = 100;

/** mulberry32: small, seedable, good enough for test choices. */
function rng(seed: number) {
	let a = seed >>> 0;
	const next = () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	return {
		next,
		chance: (p: number) => next() < p,
		int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
		pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)],
		/** Removes and returns a random element. */
		take: <T>(list: T[]): T => list.splice(Math.floor(next() * list.length), 1)[0],
	};
}

let sandbox: Sandbox;
let factory: TaskFactory;

beforeAll(async () => {
	sandbox = await startSandbox({ taskDurationMs: null, latencyMs: 0 });
	factory = new TaskFactory(sandbox);
});
afterAll(async () => await sandbox.close());

/** Seeds that found a defect once (683216324: the test helper kept an unemitted end, 7a26e0f). */
const FIXED_SEEDS = [683216324];

const envSeed = process.env.TRIGGER_SEED;
const seeds =
	envSeed !== undefined
		? [Number(envSeed)]
		: process.env.CI
			? FIXED_SEEDS
			: [...FIXED_SEEDS, Math.floor(Math.random() * 2 ** 31)];

test.each(seeds)(
	`${POLLS} polls with random completions, restarts and watch-list changes (seed %i)`,
	async (seed) => {
		console.log(`trigger property test: seed ${seed} (rerun with TRIGGER_SEED=${seed})`);
		const random = rng(seed);
		let pollNumber = 0;
		const fail = (message: string): never => {
			throw new Error(`[seed ${seed}, poll ${pollNumber}] ${message}`);
		};
		const same = (actual: unknown, expected: unknown, what: string) => {
			if (!isDeepStrictEqual(actual, expected)) {
				fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
			}
		};

		// What fires: a random selection, sometimes all (the default, by leaving the parameter out).
		const useDefault = random.chance(0.25);
		const selected: TriggerStatus[] = useDefault
			? [...ALL_TRIGGER_STATUSES]
			: ALL_TRIGGER_STATUSES.filter(() => random.chance(0.5));
		if (selected.length === 0) selected.push(random.pick(ALL_TRIGGER_STATUSES));
		const selectedSet = new Set<string>(selected);

		// Tasks on the server. `unwatched` have never been watched; some of them end before they are.
		const unwatched = await factory.create(40);
		let unknownCount = 0;
		const unknownIds = new Set<string>();
		const newUnknownId = () => {
			const id = `unknown-${seed}-${++unknownCount}`;
			unknownIds.add(id);
			return id;
		};

		// The model.
		const watched: string[] = [];
		const retired = new Set<string>(); // removed from the list: never watched again in this run
		/** ID → status, for watched IDs the trigger has seen ended (what its static data must hold). */
		let recorded = new Map<string, string>();
		/** `recorded` as of the last poll that emitted items: what n8n saved to its database. */
		let recordedAtSave = new Map<string, string>();
		/** Every ID a poll has seen ended, with that status (kept after removal from the list). */
		const everRecorded = new Map<string, string>();
		/** IDs that were watched and ended when a poll ran. */
		const dueEver = new Set<string>();
		/** IDs skipped by a fault and removed from the list before a later poll could see them. */
		const lostToRemoval = new Set<string>();
		const emittedOnce = new Map<string, string>(); // ID → status it fired with
		const counts = {
			restarts: 0,
			databaseRestarts: 0,
			freshEngines: 0,
			manual: 0,
			faults: 0,
			skipped: 0,
			changes: 0,
		};

		const serverStatus = (id: string): string =>
			unknownIds.has(id) ? 'NotFound' : (statusOf(sandbox, id) ?? fail(`no task ${id}`));
		const isEnded = (status: string) => status !== 'Executing';

		for (let i = 0; i < 15; i++) watched.push(random.take(unwatched));
		watched.push(newUnknownId());

		let poller = await Poller.start(sandbox);

		for (pollNumber = 1; pollNumber <= POLLS + 2; pollNumber++) {
			const draining = pollNumber > POLLS; // two last polls: no more changes, faults or endings

			if (!draining) {
				// Tasks end: watched or not, with any terminal status.
				for (const id of [...watched, ...unwatched]) {
					if (unknownIds.has(id) || serverStatus(id) !== 'Executing') continue;
					if (random.chance(0.07))
						await endTask(sandbox, factory, id, random.pick(ALL_TRIGGER_STATUSES));
				}
				// The watch list changes.
				if (random.chance(0.2) && watched.length > 0) {
					counts.changes++;
					for (let n = random.int(1, 2); n > 0 && watched.length > 0; n--) {
						const id = random.take(watched);
						retired.add(id);
						recorded.delete(id);
						if (dueEver.has(id) && !everRecorded.has(id)) lostToRemoval.add(id);
					}
				}
				if (random.chance(0.25)) {
					counts.changes++;
					for (let n = random.int(1, 3); n > 0; n--) {
						const roll = random.next();
						if (roll < 0.1) watched.push(newUnknownId());
						else if (roll < 0.5 && unwatched.length > 0) watched.push(random.take(unwatched));
						else watched.push(...(await factory.create(1)));
					}
					// The order of the list does not matter to the trigger.
					if (random.chance(0.5)) watched.reverse();
				}
				// n8n restarts, or the workflow is deactivated and activated again: it goes on either with
				// the static data of the last poll, or (as n8n really does) with what it saved to the
				// database, i.e. the static data of the last poll that emitted items.
				const roll = random.next();
				if (roll < 0.06) {
					counts.restarts++;
					await poller.restart('live');
					recordedAtSave = new Map(recorded);
				} else if (roll < 0.12) {
					counts.databaseRestarts++;
					await poller.restart('database');
					recorded = new Map(recordedAtSave);
				} else if (roll < 0.16) {
					// A poll from a brand-new engine that knows nothing but the JSON of the static data.
					counts.freshEngines++;
					const next = new Poller(await newEngine(sandbox), sandbox);
					next.staticData = JSON.parse(JSON.stringify(poller.staticData)) as IDataObject;
					next.savedOnEmit = JSON.parse(JSON.stringify(poller.savedOnEmit)) as IDataObject;
					poller = next;
				}
			}

			const spec = triggerWorkflow(watched, useDefault ? {} : { statuses: selected });

			// Now and then somebody presses "Fetch Test Event": the current state, nothing saved.
			if (!draining && random.chance(0.05)) {
				counts.manual++;
				const items = await poller.manual(spec);
				same(
					Object.fromEntries(items.map((item) => [item.taskId, item.status])),
					Object.fromEntries(watched.map((id) => [id, serverStatus(id)])),
					'manual mode items',
				);
			}

			// What this poll must ask about, and what is due.
			const toAsk = watched.filter((id) => !recorded.has(id));
			const statusNow = new Map(toAsk.map((id) => [id, serverStatus(id)]));
			const due = toAsk.filter((id) => isEnded(statusNow.get(id) as string));
			for (const id of due) dueEver.add(id);
			let faults = 0;
			if (!draining && toAsk.length > 0 && random.chance(0.1)) {
				faults = random.int(1, Math.min(2, toAsk.length));
				counts.faults += faults;
				sandbox.failNext('progress', random.pick(['500', '503'] as const), faults);
			}

			const before = sandbox.stats();
			const poll = await countProgress(sandbox, () => poller.poll(spec));
			const after = sandbox.stats();
			same(poll.progress, toAsk.length, 'progress requests (one per watched task not seen ended)');
			same(after.faults.progress - before.faults.progress, faults, 'faults served');
			same(poll.taskInfo, 0, 'task info requests');
			if (poll.logins > 1) fail(`${poll.logins} logins in one poll`);

			// The saved state: exactly the watched IDs seen ended, with the status they ended with.
			const saved = savedState(poller.staticData);
			for (const id of Object.keys(saved)) {
				if (!watched.includes(id)) fail(`static data holds ${id}, which is not watched`);
			}
			const seenNow = due.filter((id) => id in saved);
			const skipped = due.filter((id) => !(id in saved));
			if (skipped.length > faults) {
				fail(`${skipped.length} ended tasks not taken in with only ${faults} faults: ${skipped}`);
			}
			counts.skipped += skipped.length;
			for (const id of seenNow) {
				recorded.set(id, statusNow.get(id) as string);
				everRecorded.set(id, statusNow.get(id) as string);
			}
			same(
				saved,
				Object.fromEntries(
					watched.filter((id) => recorded.has(id)).map((id) => [id, recorded.get(id)]),
				),
				'saved state',
			);

			// What fired: each task seen ended in this poll whose status is selected (or unknown), once.
			const fired = poll.result.map((item) => [String(item.taskId), String(item.status)] as const);
			const expected = seenNow
				.filter(
					(id) => statusNow.get(id) === 'NotFound' || selectedSet.has(statusNow.get(id) as string),
				)
				.map((id) => [id, statusNow.get(id) as string] as const);
			same([...fired].sort(), [...expected].sort(), 'fired items');
			for (const [id, status] of fired) {
				if (emittedOnce.has(id)) fail(`${id} fired twice (${emittedOnce.get(id)}, then ${status})`);
				if (status !== 'NotFound' && !selectedSet.has(status)) fail(`${id} fired with ${status}`);
				emittedOnce.set(id, status);
			}
			if (fired.length > 0) recordedAtSave = new Map(recorded);
		}

		// Every task that was watched when a poll saw it ended, with a selected status, fired exactly
		// once (the only ones missing are those a fault skipped and that then left the list), and
		// nothing else fired.
		const fires = (status: string) => status === 'NotFound' || selectedSet.has(status);
		const mustFire = [...dueEver].filter((id) => !lostToRemoval.has(id) && fires(serverStatus(id)));
		same([...emittedOnce.keys()].sort(), mustFire.sort(), 'tasks fired over the run');
		same(
			[...everRecorded]
				.filter(([, status]) => fires(status))
				.map(([id]) => id)
				.sort(),
			mustFire.sort(),
			'tasks seen ended with a selected status',
		);
		for (const id of lostToRemoval) if (everRecorded.has(id)) fail(`${id} was lost but seen`);
		for (const id of watched) {
			if (isEnded(serverStatus(id)) && !recorded.has(id)) fail(`${id} ended but was never seen`);
		}
		console.log(
			JSON.stringify({
				seed,
				selected,
				fired: emittedOnce.size,
				watchedAtEnd: watched.length,
				retired: retired.size,
				lostToRemoval: lostToRemoval.size,
				...counts,
			}),
		);
		// The run did exercise something.
		expect(emittedOnce.size).toBeGreaterThan(5);
		expect(counts.restarts + counts.databaseRestarts + counts.freshEngines).toBeGreaterThan(2);
		expect(counts.changes).toBeGreaterThan(5);
	},
);
