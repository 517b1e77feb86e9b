import { spawn, ChildProcess } from 'child_process';

export function keepRunning(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: 'inherit' });
  child.on('exit', (code: number | null) => {
    if (code !== 0) {
      keepRunning(cmd, args); // expect: reliability.process-supervision, reliability.respawn-without-backoff
    }
  });
  return child;
}

export function runOnce(cmd: string): Promise<number> {
  // Waiting for a command to finish is not supervision.
  return new Promise((resolve) => spawn(cmd).on('exit', (code: number) => resolve(code)));
}
