import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

export interface AnalysisStart {
  mode: 'hourly' | 'daily';
  at: string;
  /** daily only: the day to analyze, when not the day before `at`. */
  date?: string;
}

export interface StartedAnalysis {
  executionName: string;
  /** The execution ARN (deployed) or id (local). */
  executionId: string;
  /** A start for the same name already happened (a scheduler retry): nothing new was started. */
  alreadyStarted: boolean;
}

/** What starts the analysis: Step Functions when deployed; the local runner in `npm start` and the tests. */
export interface AnalysisStarter {
  start(name: string, input: AnalysisStart): Promise<StartedAnalysis>;
}

/** StartExecution with a name per scheduled slot, so a retried schedule does not analyze twice. */
export class StepFunctionsStarter implements AnalysisStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: AnalysisStart): Promise<StartedAnalysis> {
    try {
      const out = await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { executionName: name, executionId: out.executionArn!, alreadyStarted: false };
    } catch (error) {
      // Same name and same input: Step Functions answers with the running execution; a different input throws this.
      if (error instanceof ExecutionAlreadyExists)
        return {
          executionName: name,
          executionId: `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
          alreadyStarted: true,
        };
      throw error;
    }
  }
}

let localStarter: AnalysisStarter | undefined;

/** The local runtime registers its runner here (shared code does not import the local runtime). */
export function registerLocalAnalysisStarter(starter: AnalysisStarter | undefined): void {
  localStarter = starter;
}

export function createAnalysisStarter(settings: { stateMachineArn?: string | undefined; region: string }): AnalysisStarter {
  if (settings.stateMachineArn) return new StepFunctionsStarter(new SFNClient({ region: settings.region }), settings.stateMachineArn);
  if (localStarter) return localStarter;
  throw new Error('LEDGER_ANALYSIS_STATE_MACHINE_ARN is not set and no local analysis runner is running');
}
