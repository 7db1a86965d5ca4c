'use client';

import { useEffect, useState } from 'react';
import { API_DOCS_URL, errorMessage, fetchHealth, fetchLanguages, OPENAPI_URL, type HealthResponse, type LanguageInfo } from '../lib/api';
import { isolationLayers, loadWords } from '../lib/health-words';
import { useTheme } from '../lib/theme';
import Toolbar from './Toolbar';

/** How often the load is read again while the page is open. */
const REFRESH_MS = 5000;

/** What /api/health knows, in plain words: up or not, the isolation in force, the load, the languages. */
export default function StatusView() {
  const { theme, toggleTheme } = useTheme();
  const [health, setHealth] = useState<HealthResponse | null>(null);
  const [languages, setLanguages] = useState<LanguageInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    const read = () =>
      fetchHealth().then(
        (h) => {
          if (stopped) return;
          setHealth(h);
          setError(null);
        },
        (err: unknown) => !stopped && setError(errorMessage(err, 'Could not read the server status.')),
      );
    void read();
    const timer = setInterval(read, REFRESH_MS);
    fetchLanguages().then((l) => !stopped && setLanguages(l), () => undefined);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  const up = health?.status === 'up';
  return (
    <div className="page">
      <Toolbar current="status" theme={theme} onToggleTheme={toggleTheme} />
      <main className="content status-page">
        <h2>Status</h2>
        {error && (
          <p className="error" role="alert" data-testid="api-error">
            {error}
          </p>
        )}
        {!health && !error && <p className="placeholder">Loading…</p>}
        {health && (
          <>
            <p className={`badge ${up ? 'badge-good' : 'badge-warn'} status-headline`} data-testid="status-headline">
              {up ? 'Up and taking runs' : 'Shutting down: not taking new runs'}
              <span className="meta"> · server {health.instance}</span>
            </p>

            <section aria-labelledby="isolation-heading">
              <h3 id="isolation-heading">How every run is isolated on this server</h3>
              <ul className="layers" data-testid="isolation-layers">
                {isolationLayers(health.isolation).map((layer) => (
                  <li key={layer.name} data-in-force={layer.inForce}>
                    <span className={layer.inForce ? 'layer-on' : 'layer-off'} aria-label={layer.inForce ? 'in force' : 'not in force'}>
                      {layer.inForce ? '✓' : '✗'}
                    </span>{' '}
                    <strong>{layer.name}</strong> <span className="meta">— {layer.detail}</span>
                  </li>
                ))}
              </ul>
            </section>

            <section aria-labelledby="load-heading">
              <h3 id="load-heading">Queue and user pool</h3>
              <ul data-testid="load">
                {loadWords(health).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </section>
          </>
        )}

        <section aria-labelledby="languages-heading">
          <h3 id="languages-heading">Languages</h3>
          {!languages && <p className="placeholder">Loading…</p>}
          {languages && (
            <table className="languages" data-testid="languages">
              <thead>
                <tr>
                  <th scope="col">Language</th>
                  <th scope="col">Version</th>
                  <th scope="col">Runs as</th>
                </tr>
              </thead>
              <tbody>
                {languages.map((l) => (
                  <tr key={l.id}>
                    <td>{l.name}</td>
                    <td className="mono">{l.version}</td>
                    <td>{l.compiled ? 'compiled, then run' : 'interpreted'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section aria-labelledby="api-heading">
          <h3 id="api-heading">API</h3>
          <p>
            <a href={API_DOCS_URL} data-testid="api-docs-link">
              API reference
            </a>{' '}
            (every endpoint, request and answer) · <a href={OPENAPI_URL}>OpenAPI document</a>
          </p>
        </section>
      </main>
    </div>
  );
}
