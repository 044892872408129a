/** Who is acting: user@host, or the CI job when running in CI. Recorded on every journal event. */
import { hostname, userInfo } from 'node:os';

export interface Identity {
  user: string;
  host: string;
  pid: number;
  /** CI job URL or id when known (GitHub Actions, GitLab CI, generic CI). */
  ci?: string;
}

export function currentIdentity(env: Record<string, string | undefined> = process.env): Identity {
  let user = env.USER ?? env.LOGNAME ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep the environment's idea of the user.
  }
  return { user, host: hostname(), pid: process.pid, ci: ciJob(env) };
}

function ciJob(env: Record<string, string | undefined>): string | undefined {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_RUN_ID) {
    return `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY ?? ''}/actions/runs/${env.GITHUB_RUN_ID}`;
  }
  if (env.GITLAB_CI === 'true' && env.CI_JOB_URL) return env.CI_JOB_URL;
  if (env.CI_JOB_ID) return `ci job ${env.CI_JOB_ID}`;
  return undefined;
}

export function describeIdentity(identity: Identity): string {
  return identity.ci ? `${identity.user}@${identity.host} (${identity.ci})` : `${identity.user}@${identity.host}`;
}
