import { readFileSync } from 'node:fs';

export const NGINX_TEMPLATE = 'nginx/templates/runbox.conf.template';

/**
 * Renders the repo's nginx template the way the nginx image does (envsubst of the given
 * variables only; nginx's own $variables stay), so tests run the very file production runs.
 */
export function renderNginxTemplate(vars: Record<string, string>): string {
  const text = readFileSync(NGINX_TEMPLATE, 'utf8').replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => vars[name] ?? whole);
  const left = /\$\{RUNBOX_[A-Z0-9_]+\}/.exec(text);
  if (left) throw new Error(`template variable ${left[0]} was not given`);
  return text;
}
