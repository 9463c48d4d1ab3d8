/**
 * An app setting by name, as the Functions host reads its configuration: names match whatever
 * their case, and a setting that is empty (or only blanks) counts as not set.
 */
export function appSetting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const key = Object.keys(env).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : env[key];
  return value === undefined || value.trim() === '' ? undefined : value;
}
