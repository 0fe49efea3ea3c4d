import { setFlagsFromString } from 'node:v8';

// Loaded into a real n8n process by the bench (NODE_OPTIONS=--require …) for the row that shows what
// n8n's own Node costs: V8 13.6 (Node 24) raised the young generation's capacity from 8 to 32 MB,
// which moved the point where young Buffers are freed by a cheap scavenge (twice the semi-space)
// above the 64 MB of external memory that starts a full mark-compact (nodejs/node#61967). This sets
// the flag back to Node 22's value. It is not allowed in NODE_OPTIONS itself, so it is set here,
// before n8n loads; an operator would start n8n as `node --scavenger-max-new-space-capacity-mb=8 …`.
setFlagsFromString('--scavenger-max-new-space-capacity-mb=8');
