import path from 'node:path';
import { createMemoryCgroups } from './memory-cgroup';
import { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from './service-process';
import type { Teardown } from './teardown';

/** Every process of the stack, ours and the peers alike, as production runs it; listening on 127.0.0.1 only. */
const PRODUCTION_MODE = { NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'info' };

export interface StackLauncher {
  /**
   * Starts one process of the stack in production mode (its `env` on top) and waits until it
   * serves. `key` names its log file, `<workDir>/<key>.log`, and its memory cgroup. It is stopped
   * with the stack as soon as it is up, whatever else fails meanwhile.
   */
  start(key: string, options: Omit<ServiceProcessOptions, 'logFile' | 'cgroup'>): Promise<ServiceProcess>;
  /** With a CPU profile directory: Node flags that write the process's profile to `<dir>/<name>` on exit; else none. */
  cpuProfileFlags(name: string): string[];
  /** With a memory limit: the most each process's cgroup ever held (MiB) and how often it hit the limit, by key. */
  memoryCgroups(): Record<string, { peakMiB: number; limitHits: number }>;
}

export function createStackLauncher(
  options: { workDir: string; cpuProfileDir?: string; memoryLimitMiB?: number },
  teardown: Teardown,
): StackLauncher {
  const cgroups = createMemoryCgroups(options.memoryLimitMiB, teardown);
  return {
    async start(key, service) {
      const started = await startServiceProcess({
        ...service,
        env: { ...PRODUCTION_MODE, ...service.env },
        cgroup: cgroups.create(key),
        logFile: path.join(options.workDir, `${key}.log`),
      });
      teardown.add(() => started.stop());
      return started;
    },
    cpuProfileFlags: (name) => (options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(options.cpuProfileDir, name)}`] : []),
    memoryCgroups: () => cgroups.report(),
  };
}
