/** The messages between measureThroughput and the child process that measures one backend (./child). */
import type { RepeatEvent, ResolvedThroughputOptions, ThroughputPoint } from './sweep';

/** The options a child measures with: the resolved options less the callback, which stays in the parent. */
export type ChildOptions = Omit<ResolvedThroughputOptions, 'onRepeat'>;

export interface MeasureRequest {
  type: 'measure';
  backend: string;
  options: ChildOptions;
}

export type FromChild =
  | { type: 'repeat'; event: RepeatEvent }
  | { type: 'done'; device: string; points: ThroughputPoint[] }
  | {
      type: 'failed';
      reason: string;
      /** An InputError: the same for every backend, so the sweep stops. */ input: boolean;
    };
