import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = resolve(__dirname, '../../../../deploy/local/kafka.sh');

/**
 * A Kafka broker of a fault test's own, on its own ports, so that stopping or killing it does not
 * disturb the other suites. Started and stopped with the project's `deploy/local/kafka.sh`.
 */
export class DedicatedBroker {
  constructor(
    readonly port: number,
    readonly controllerPort = port + 1,
  ) {}

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  private async kafka(command: 'start' | 'stop' | 'kill' | 'reset'): Promise<void> {
    await run('bash', [script, command], {
      env: { ...process.env, KAFKA_PORT: String(this.port), KAFKA_CONTROLLER_PORT: String(this.controllerPort) },
      timeout: 180_000,
    });
  }

  /** Starts the broker (formats fresh storage after `reset`) and waits until it answers. */
  start(): Promise<void> {
    return this.kafka('start');
  }

  /** A clean shutdown. */
  stop(): Promise<void> {
    return this.kafka('stop');
  }

  /** A crash: SIGKILL, data kept. */
  kill(): Promise<void> {
    return this.kafka('kill');
  }

  /** Stops it and deletes its data. */
  reset(): Promise<void> {
    return this.kafka('reset');
  }
}
