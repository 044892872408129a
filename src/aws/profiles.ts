/**
 * The AWS shared config files, read the way the SDK reads them, only to tell whether a named
 * profile exists (an unknown --profile is refused before the first step). Pure: the caller
 * reads the files; no SDK import.
 */

export interface SharedFilePaths {
  config: string;
  credentials: string;
}

/** AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials; `~/` expands to `home`. */
export function sharedFilePaths(env: Record<string, string | undefined>, home: string): SharedFilePaths {
  const expand = (file: string) => (file.startsWith('~/') ? `${home}/${file.slice(2)}` : file);
  return {
    config: expand(env.AWS_CONFIG_FILE || `${home}/.aws/config`),
    credentials: expand(env.AWS_SHARED_CREDENTIALS_FILE || `${home}/.aws/credentials`),
  };
}

/** The `[section]` names of an INI text, trimmed, in order; comment lines (`#`, `;`) skipped. */
function sections(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*\[([^\]]*)\]\s*(?:[#;].*)?$/.exec(line);
    if (match) names.push((match[1] as string).trim());
  }
  return names;
}

const unquote = (name: string) => name.replace(/^(["'])(.*)\1$/, '$2');

/** Profiles of a config file: `[profile NAME]`, and `[default]` (other sections, e.g. `[sso-session x]`, are not profiles). */
export function configProfiles(text: string): string[] {
  return sections(text).flatMap((section) => {
    if (section === 'default') return ['default'];
    const match = /^profile\s+(.+)$/.exec(section);
    return match ? [unquote((match[1] as string).trim())] : [];
  });
}

/** Profiles of a credentials file: every `[NAME]`. */
export function credentialsProfiles(text: string): string[] {
  return sections(text).map(unquote);
}

/** Undefined when `profile` is in either file (a missing file counts as empty), else the message to refuse with. */
export function unknownProfileMessage(profile: string, paths: SharedFilePaths, texts: { config?: string; credentials?: string }): string | undefined {
  if (configProfiles(texts.config ?? '').includes(profile) || credentialsProfiles(texts.credentials ?? '').includes(profile)) return undefined;
  return `the AWS profile "${profile}" does not exist in ${paths.config} or ${paths.credentials}; "aws configure list-profiles" lists them (check --profile, AWS_PROFILE or aws.profile in the runbook)`;
}
