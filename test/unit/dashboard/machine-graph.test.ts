import { describe, expect, it } from '@jest/globals';
import { createMachine } from 'xstate';
import { pairMachine } from '../../../machines/pair-machine.js';
import { ANY_STATE, machineGraph, pairMachineGraph } from '../../../src/service/dashboard/machine-graph.js';
import { PairStateSchema } from '../../../events/primitives.js';

describe('the state graph the dashboard draws', () => {
  const graph = pairMachineGraph();
  const edge = (from: string, to: string) => graph.edges.find((e) => e.from === from && e.to === to);

  it('has exactly the pair states the events know, starting where the machine starts', () => {
    expect(graph.states.map((s) => s.id).sort()).toEqual([...PairStateSchema.options].sort());
    expect(graph.initial).toBe(pairMachine.root.initial.target[0]?.key);
    expect(graph.states.filter((s) => s.initial).map((s) => s.id)).toEqual(['starting']);
    expect(graph.states.filter((s) => s.final).map((s) => s.id)).toEqual(['stopped']);
  });

  it('has every targeted transition of the machine, grouped by source and target', () => {
    const pairs = new Set<string>();
    for (const node of [pairMachine.root, ...Object.values(pairMachine.root.states)]) {
      const from = node === pairMachine.root ? ANY_STATE : node.key;
      for (const [, defs] of node.transitions) {
        for (const t of defs) for (const target of t.target ?? []) pairs.add(`${from}>${target.key}`);
      }
    }
    expect(graph.edges).toHaveLength(pairs.size);
    expect(edge('quoting', 'paused')?.events).toEqual(expect.arrayContaining(['OPERATOR_PAUSE', 'CHECK_FEED', 'VENUE_DOWN']));
    expect(edge('paused', 'quoting')?.events).toEqual(expect.arrayContaining(['OPERATOR_RESUME']));
    expect(edge(ANY_STATE, 'stopped')?.events).toEqual(['STOP']);
    // Delayed transitions carry the delay's name, not XState's internal event type.
    expect(edge('shock-cooldown', 'quoting')?.events).toEqual(['after cooldownRemaining']);
    expect(edge('shock-cooldown', 'shock-cooldown')?.guards).toEqual(['rearmsLeft']);
  });

  it('gives every state, and the "any state" source, a distinct place inside the drawing', () => {
    const places = [...graph.states.map((s) => `${s.x},${s.y}`), ...(graph.anyState ? [`${graph.anyState.x},${graph.anyState.y}`] : [])];
    expect(new Set(places).size).toBe(places.length);
    for (const s of graph.states) {
      expect(s.x).toBeGreaterThan(0);
      expect(s.x).toBeLessThan(graph.width);
      expect(s.y).toBeGreaterThan(0);
      expect(s.y).toBeLessThan(graph.height);
    }
  });

  it('follows the definition it is given (another machine, another graph)', () => {
    const light = createMachine({
      id: 'light',
      initial: 'green',
      states: { green: { on: { NEXT: 'yellow' } }, yellow: { on: { NEXT: 'red' }, after: { 500: 'red' } }, red: { on: { NEXT: 'green', OFF: 'off' } }, off: { type: 'final' } },
    });
    const g = machineGraph(light);
    expect(g.states.map((s) => s.id)).toEqual(['green', 'yellow', 'red', 'off']);
    expect(g.anyState).toBeNull();
    expect(g.edges.map((e) => `${e.from}>${e.to}:${e.events.join('|')}`).sort()).toEqual(['green>yellow:NEXT', 'red>green:NEXT', 'red>off:OFF', 'yellow>red:NEXT|after 500'].sort());
  });
});
