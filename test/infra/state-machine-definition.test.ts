import { describe, expect, it } from 'vitest';
import { localTaskArns } from '../../local/analysis-runner.js';
import { analysisStateMachine, taskStateHandlers, transientErrors } from '../../stacks/analysis-state-machine.js';
import { workflowTasks } from '../../shared/workflow-tasks.js';

type State = {
  Type: string;
  Resource?: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  ItemProcessor?: Machine;
  Branches?: Machine[];
};
type Machine = { StartAt: string; States: Record<string, State> };

/** Every state of the definition, nested Map and Parallel states included, with its name. */
function allStates(machine: Machine): [string, State][] {
  return Object.entries(machine.States).flatMap(([name, state]) => [
    [name, state] as [string, State],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
    ...(state.Branches ?? []).flatMap(allStates),
  ]);
}

describe('the analysis ASL definition', () => {
  const definition = analysisStateMachine(localTaskArns) as unknown as Machine;
  const states = allStates(definition);

  it('is valid Amazon States Language (the interpreter validates paths and ARNs when it loads it)', async () => {
    const { StateMachine } = await import('aws-local-stepfunctions');
    expect(() => new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } })).not.toThrow();
    expect(
      () => new StateMachine({ ...definition, StartAt: 'Nowhere' } as never, { validationOptions: { checkPaths: true, checkArn: true } }),
    ).toThrow();
  });

  it('binds every task state to a task of shared/workflow-tasks.ts and uses every task', () => {
    const tasks = states.filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([name]) => name).sort()).toEqual(Object.keys(taskStateHandlers).sort());
    for (const [name, state] of tasks) expect(state.Resource, name).toBe(localTaskArns[taskStateHandlers[name]!]);
    expect(new Set(Object.values(taskStateHandlers))).toEqual(new Set(workflowTasks.map((t) => t.name)));
  });

  it('retries every task on transient errors and catches every task except the run record', () => {
    for (const [name, state] of states.filter(([, s]) => s.Type === 'Task')) {
      expect(state.Retry?.[0]?.ErrorEquals, name).toEqual([...transientErrors]);
      if (name === 'RecordAnalysis' || name === 'RecordFailure') continue;
      expect(
        state.Catch?.map((c) => c.ErrorEquals),
        name,
      ).toEqual([['States.ALL']]);
    }
  });

  it('fans out over the planned pools with a Map, and catches each pool on its own', () => {
    const map = definition.States.AnalyzePools!;
    expect(map.Type).toBe('Map');
    expect((map as { ItemsPath?: string }).ItemsPath).toBe('$.plan.pools');
    expect(map.ItemProcessor!.States.RollupPool!.Catch![0]!.Next).toBe('PoolFailed');
    expect(map.Catch).toBeUndefined();
  });
});
