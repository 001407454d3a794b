/**
 * Settings that are not secret come from the deploying shell (see docs/deploy.md): each one set there is passed
 * to the functions that read it, and one left unset is left out, so the function's default applies.
 */
export function shellSettings(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])));
}
