import { emptyPairProjection, type PairProjection } from '../../../projections/pair-projection.js';
import type { PairRuntime } from '../pair-runtime.js';
import type { Supervisor } from '../supervisor.js';
import type { GroupMember } from './group-coordinator.js';
import type { GroupView } from './pair-group.js';

/**
 * A group member, through the supervisor: after a crash the pair runs in a
 * new runtime. The coordinator tells a member only when its view changes, so
 * a runtime that did not get the current view (not started yet when it was
 * published, or restarted since) gets it on its next append.
 */
export class SupervisedGroupMember implements GroupMember {
  private last: { readonly view: GroupView; readonly members: number } | null = null;
  private toldRuntime: PairRuntime | null = null;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly pairId: string,
    readonly venue: string,
    readonly allocation: { readonly enabled: boolean; readonly windowMs: number },
  ) {}

  get state(): PairProjection {
    return this.supervisor.get(this.pairId)?.runtime.state ?? emptyPairProjection();
  }

  groupChanged(view: GroupView, members: number): void {
    this.last = { view, members };
    this.toldRuntime = null;
    this.catchUp();
  }

  /** Gives the current runtime the last view, once. */
  catchUp(): void {
    const runtime = this.supervisor.get(this.pairId)?.runtime;
    if (!runtime || !this.last || runtime === this.toldRuntime) return;
    this.toldRuntime = runtime;
    runtime.groupChanged(this.last.view, this.last.members);
  }

  pushVenueFillRates(rates: Readonly<Record<string, number>>): void {
    this.supervisor.get(this.pairId)?.runtime.pushVenueFillRates(rates);
  }
}
