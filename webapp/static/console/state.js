// What the console knows right now: one object, shared by every module, and reset on sign-out
// (session.js).

export const state = {
  me: null,               // the signed-in agent, as /api/me and the queue snapshot describe them
  snapshot: null,         // the latest queue snapshot
  // The scorer's live thresholds and the longest line, from each snapshot (no copies here).
  limits: null,
  snapshotAt: 0,          // when it arrived (performance.now()), so wait times tick locally
  timers: [],             // heartbeat and clock, stopped on sign-out
  queueFeed: null,        // EventSource of queue snapshots
  agents: [],             // the team, for the transfer picker
  open: null,             // the conversation on screen (see openConversation)
  openSeq: 0,             // so a slow, older "open" request cannot replace a newer one
  drafts: new Map(),      // conversation id -> unsent text in the reply box
  outgoing: new Map(),    // request_id -> reply not yet seen delivered
  read: {},               // conversation id -> its customer lines the agent has seen (stored)
  alerts: { sound: false, desktop: false },   // the agent's choices (stored), off by default
  heard: null,            // what the last snapshot held, to tell what is new in the next
  arrivedWhileHidden: false,   // customers joined the queue since the tab was last looked at
  audio: null,            // AudioContext, made once sound is on
  // The Tickets view: the status listed, the ticket on screen, the answer's limit (from the API).
  tickets: { status: "open", open: null, maxChars: null },
  openCase: null,         // the history case on screen (history.js), by its number
  openCaseConversation: null,   // and the conversation it belongs to
  customerTypingTimer: null,   // hides "The customer is typing…" (conversation.js)
  // Which conversation this agent last told they are typing, and when (reply.js).
  typingSignalledAt: { id: null, at: 0 },
};

export function agentName(agentId) {
  const people = (state.snapshot && state.snapshot.team) || state.agents;
  const found = people.find((agent) => agent.id === agentId);
  return found ? found.name : agentId;
}
