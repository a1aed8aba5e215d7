import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { pairMachine } from '../../../machines/pair-machine.js';

/*
 * The pair machine's state graph, read from the machine definition itself, so
 * the diagram the dashboard draws cannot drift from the code. Pure: the same
 * machine always gives the same graph and the same layout.
 */

export interface MachineStateNode {
  readonly id: string;
  readonly final: boolean;
  readonly initial: boolean;
  /** Fixed layout (SVG user units): centre of the state's box. */
  readonly x: number;
  readonly y: number;
}

export interface MachineEdge {
  /** '*' for a transition defined on the machine root (taken from any state). */
  readonly from: string;
  readonly to: string;
  /** Event names, e.g. OPERATOR_PAUSE, or `after cooldownRemaining` for a delayed transition. */
  readonly events: readonly string[];
  /** Guards of the grouped transitions, in definition order (null: unguarded). */
  readonly guards: readonly (string | null)[];
}

export interface MachineGraph {
  readonly id: string;
  readonly initial: string;
  readonly states: readonly MachineStateNode[];
  /** Where the diagram draws the source of root transitions ('*'), if the machine has any. */
  readonly anyState: { readonly x: number; readonly y: number } | null;
  /** One edge per (from, to) pair; transitions without a target (internal actions) are left out. */
  readonly edges: readonly MachineEdge[];
  readonly width: number;
  readonly height: number;
}

const RING_RX = 300;
const RING_RY = 150;
const MARGIN_X = 80;
const MARGIN_Y = 50;

/** The source of a transition defined on the machine root: taken from any state. */
export const ANY_STATE = '*';

/** XState names a delayed transition `xstate.after.<delay>.<state path>`; the diagram shows `after <delay>`. */
function eventLabel(eventType: string): string {
  const m = /^xstate\.after\.([^.]+)\./.exec(eventType);
  return m ? `after ${m[1]}` : eventType;
}

function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard && typeof (guard as { type: unknown }).type === 'string') return (guard as { type: string }).type;
  return 'inline';
}

interface RawTransition {
  readonly from: string;
  readonly to: string;
  readonly event: string;
  readonly guard: string | null;
}

function transitionsOf(node: AnyStateNode, from: string): RawTransition[] {
  const out: RawTransition[] = [];
  for (const [eventType, definitions] of node.transitions) {
    for (const t of definitions) {
      for (const target of t.target ?? []) out.push({ from, to: target.key, event: eventLabel(eventType), guard: guardName(t.guard) });
    }
  }
  return out;
}

/**
 * Hub and ring: the state most transitions touch (in or out, not counting the
 * initial and final states) sits in the centre; the others sit on an ellipse,
 * clockwise from the left: the initial state, the rest in definition order,
 * the final states, and last the "any state" source of root transitions.
 * So most edges run radially to or from the hub and the drawing stays legible.
 */
function layout(stateIds: readonly string[], initial: string, finals: ReadonlySet<string>, raw: readonly RawTransition[], hasAny: boolean): Map<string, { x: number; y: number }> {
  const degree = new Map<string, number>();
  for (const t of raw) {
    if (t.from === t.to) continue;
    degree.set(t.from, (degree.get(t.from) ?? 0) + 1);
    degree.set(t.to, (degree.get(t.to) ?? 0) + 1);
  }
  const candidates = stateIds.filter((id) => id !== initial && !finals.has(id));
  let hub: string | undefined;
  for (const id of candidates) if (hub === undefined || (degree.get(id) ?? 0) > (degree.get(hub) ?? 0)) hub = id;
  const ring = [initial, ...candidates.filter((id) => id !== hub), ...stateIds.filter((id) => finals.has(id)), ...(hasAny ? [ANY_STATE] : [])];
  const cx = MARGIN_X + RING_RX;
  const cy = MARGIN_Y + RING_RY;
  const placed = new Map<string, { x: number; y: number }>();
  if (hub !== undefined) placed.set(hub, { x: cx, y: cy });
  ring.forEach((id, i) => {
    const angle = Math.PI - (i * 2 * Math.PI) / ring.length;
    placed.set(id, { x: Math.round(cx + RING_RX * Math.cos(angle)), y: Math.round(cy - RING_RY * Math.sin(angle)) });
  });
  return placed;
}

export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = machine.root;
  const states = Object.values(root.states) as AnyStateNode[];
  const initial = root.initial.target[0]?.key;
  if (initial === undefined) throw new Error(`machine ${machine.id} has no initial state`);
  const finals = new Set(states.filter((s) => s.type === 'final').map((s) => s.key));
  const raw = [...transitionsOf(root, ANY_STATE), ...states.flatMap((s) => transitionsOf(s, s.key))];

  const edges = new Map<string, { from: string; to: string; events: string[]; guards: (string | null)[] }>();
  for (const t of raw) {
    const key = `${t.from}\u0000${t.to}`;
    const edge = edges.get(key) ?? { from: t.from, to: t.to, events: [], guards: [] };
    if (!edge.events.includes(t.event)) edge.events.push(t.event);
    edge.guards.push(t.guard);
    edges.set(key, edge);
  }

  const hasAny = raw.some((t) => t.from === ANY_STATE);
  const positions = layout(
    states.map((s) => s.key),
    initial,
    finals,
    raw.filter((t) => t.from !== ANY_STATE),
    hasAny,
  );
  return {
    id: machine.id,
    initial,
    states: states.map((s) => {
      const p = positions.get(s.key) ?? { x: MARGIN_X, y: MARGIN_Y };
      return { id: s.key, final: finals.has(s.key), initial: s.key === initial, x: p.x, y: p.y };
    }),
    anyState: hasAny ? (positions.get(ANY_STATE) ?? null) : null,
    edges: [...edges.values()],
    width: 2 * (MARGIN_X + RING_RX),
    height: 2 * (MARGIN_Y + RING_RY),
  };
}

/** The graph of the pair machine the service runs. */
export const pairMachineGraph = (): MachineGraph => machineGraph(pairMachine);
